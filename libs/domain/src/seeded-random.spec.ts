import { InvalidInputError } from './platform-error';
import { assertSeed, deriveSeed, SeededRandom } from './seeded-random';

const draw = (random: SeededRandom, count: number, next: (r: SeededRandom) => number = (r) => r.next()): number[] =>
  Array.from({ length: count }, () => next(random));

const mean = (values: readonly number[]): number => values.reduce((sum, v) => sum + v, 0) / values.length;

describe('SeededRandom', () => {
  it('is mulberry32: the reference values for seed 42', () => {
    expect(draw(new SeededRandom(42), 3)).toEqual([0.6011037519201636, 0.44829055899754167, 0.8524657934904099]);
  });

  it('repeats its sequence for the same seed and not for another', () => {
    expect(draw(new SeededRandom(7), 1_000)).toEqual(draw(new SeededRandom(7), 1_000));
    expect(draw(new SeededRandom(7), 1_000)).not.toEqual(draw(new SeededRandom(8), 1_000));
  });

  it('draws uniforms in [0, 1) with mean 1/2', () => {
    const values = draw(new SeededRandom(1), 100_000);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(mean(values)).toBeCloseTo(0.5, 2);
  });

  it('draws normals, exponentials and Poisson counts with the asked moments', () => {
    const normals = draw(new SeededRandom(2), 100_000, (r) => r.normal(3, 2));
    const m = mean(normals);
    expect(m).toBeCloseTo(3, 1);
    expect(Math.sqrt(mean(normals.map((v) => (v - m) ** 2)))).toBeCloseTo(2, 1);
    expect(mean(draw(new SeededRandom(3), 100_000, (r) => r.exponential(5)))).toBeCloseTo(5, 1);
    const counts = draw(new SeededRandom(4), 100_000, (r) => r.poisson(1.5));
    expect(counts.every(Number.isInteger)).toBe(true);
    expect(mean(counts)).toBeCloseTo(1.5, 1);
  });

  it('picks indices in proportion to their weights', () => {
    const random = new SeededRandom(5);
    const frequency = [0, 0, 0];
    for (let i = 0; i < 100_000; i++) frequency[random.pick([6, 3, 1])]! += 1;
    expect(frequency.map((count) => count / 100_000)).toEqual([expect.closeTo(0.6, 2), expect.closeTo(0.3, 2), expect.closeTo(0.1, 2)]);
  });

  it('accepts only unsigned 32-bit integer seeds', () => {
    expect(assertSeed(0)).toBe(0);
    expect(assertSeed(0xffff_ffff)).toBe(0xffff_ffff);
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) expect(() => new SeededRandom(bad)).toThrow(InvalidInputError);
  });
});

describe('deriveSeed', () => {
  it('gives every index its own stream seed, the same each time', () => {
    const seeds = Array.from({ length: 100_000 }, (_, index) => deriveSeed(42, index));
    expect(new Set(seeds).size).toBe(seeds.length);
    expect(deriveSeed(42, 1)).toBe(seeds[1]);
    expect(deriveSeed(43, 1)).not.toBe(seeds[1]);
    expect(seeds.every((seed) => Number.isInteger(seed) && seed >= 0 && seed <= 0xffff_ffff)).toBe(true);
  });
});
