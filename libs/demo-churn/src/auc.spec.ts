import fc from 'fast-check';
import { InvalidInputError } from '@platform/domain';
import { auc } from './auc';
import { SeededRandom } from '@platform/domain';

/** The definition, O(n²): the share of (positive, negative) pairs ranked right, ties counting one half. */
function pairwiseAuc(scores: readonly number[], labels: readonly number[]): number {
  let right = 0;
  let pairs = 0;
  scores.forEach((positive, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((negative, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      right += positive > negative ? 1 : positive === negative ? 0.5 : 0;
    });
  });
  return right / pairs;
}

describe('auc', () => {
  it('is 1 for a perfect ranking and 0 for an inverted one', () => {
    expect(auc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it('counts tied pairs as one half', () => {
    expect(auc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(auc([0.5, 0.5, 0.2, 0.9], [1, 0, 0, 1])).toBe(0.875);
  });

  it('matches the textbook example', () => {
    expect(auc(Float32Array.of(0.1, 0.4, 0.35, 0.8), Uint8Array.of(0, 0, 1, 1))).toBe(0.75);
  });

  it('is about 1/2 for random scores', () => {
    const random = new SeededRandom(11);
    const scores = Float64Array.from({ length: 20_000 }, () => random.next());
    const labels = Uint8Array.from({ length: 20_000 }, () => (random.chance(0.3) ? 1 : 0));
    expect(auc(scores, labels)).toBeCloseTo(0.5, 1);
  });

  it('equals the pairwise definition, ties included', () => {
    const sample = fc
      .array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 60 })
      .filter((rows) => rows.some(([, label]) => label === 1) && rows.some(([, label]) => label === 0));
    fc.assert(
      fc.property(sample, (rows) => {
        const scores = rows.map(([score]) => score / 5);
        const labels = rows.map(([, label]) => label);
        expect(auc(scores, labels)).toBeCloseTo(pairwiseAuc(scores, labels), 12);
      }),
    );
  });

  it('refuses input it cannot rank', () => {
    expect(() => auc([0.1, 0.2], [1])).toThrow(InvalidInputError);
    expect(() => auc([0.1, 0.2], [1, 1])).toThrow(/both classes/);
    expect(() => auc([0.1, Number.NaN], [0, 1])).toThrow(/NaN/);
    expect(() => auc([0.1, 0.2], [0, 2])).toThrow(/not 0 or 1/);
  });
});
