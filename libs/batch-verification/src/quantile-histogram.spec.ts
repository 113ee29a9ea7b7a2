import { BinEdges, QuantileHistogram, quantileEdges } from './quantile-histogram';
import { RangeHistogram } from './range-histogram';
import { RESERVOIR_CAPACITY, ReservoirSample } from './reservoir-sample';
import { SeededRandom } from '@platform/domain';

describe('quantileEdges', () => {
  it('cuts a sorted sample into equal shares', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, index) => index);
    expect(quantileEdges(sorted, 4)).toEqual([25, 50, 75]);
  });

  it('collapses ties into one edge', () => {
    const sorted = Float64Array.from([0, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    // quantiles at ranks 2, 4, 6, 8: 0, 0, 1, 3
    expect(quantileEdges(sorted, 5)).toEqual([0, 1, 3]);
  });

  it('has no edges for an empty sample', () => {
    expect(quantileEdges(new Float64Array(0), 10)).toEqual([]);
  });
});

describe('BinEdges', () => {
  it('puts a value in [edge[i−1], edge[i]) with open ends', () => {
    const edges = new BinEdges([1, 2, 3]);
    expect([-5, 0.99, 1, 1.5, 2, 2.99, 3, 100].map((value) => edges.binOf(value))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    expect(new BinEdges([]).binOf(42)).toBe(0);
    expect(edges.toArray()).toEqual([1, 2, 3]);
  });

  it('bins by padded comparisons and by search alike, for few edges and many', () => {
    for (const edgeCount of [1, 9, 15, 16, 17, 99]) {
      const values = Array.from({ length: edgeCount }, (_, index) => index * 2);
      const edges = new BinEdges(values);
      for (let value = -1; value <= edgeCount * 2 + 1; value += 0.5) {
        expect(edges.binOf(value)).toBe(values.filter((edge) => edge <= value).length);
      }
      expect(edges.toArray()).toEqual(values);
    }
  });
});

describe('ReservoirSample', () => {
  it('keeps a fixed number of values however long the stream, uniformly drawn', () => {
    const sample = new ReservoirSample(1);
    const streamLength = 20 * RESERVOIR_CAPACITY;
    for (let value = 0; value < streamLength; value++) sample.offer(value);
    expect(sample.size).toBe(RESERVOIR_CAPACITY);
    const sorted = sample.sorted();
    expect(sorted).toHaveLength(RESERVOIR_CAPACITY);
    expect(Math.abs(sorted[RESERVOIR_CAPACITY / 2]! - streamLength / 2)).toBeLessThan(streamLength / 50);
  });

  it('keeps every position of the stream with the same probability, capacity / length', () => {
    const capacity = 8;
    const streamLength = 100;
    const seeds = 4_000;
    const keptAt = new Array<number>(streamLength).fill(0);
    for (let seed = 1; seed <= seeds; seed++) {
      const sample = new ReservoirSample(seed, capacity);
      for (let value = 0; value < streamLength; value++) sample.offer(value);
      for (const kept of sample.sorted()) keptAt[kept]! += 1;
    }
    // Expected 320 per position (sd about 17): the first values, the fill, and the last are no exception.
    const expected = (seeds * capacity) / streamLength;
    for (const count of keptAt) expect(Math.abs(count - expected)).toBeLessThan(expected / 4);
    expect(keptAt.reduce((sum, count) => sum + count, 0)).toBe(seeds * capacity);
  });

  it('depends on the seed only', () => {
    const draw = (seed: number): number[] => {
      const sample = new ReservoirSample(seed, 8);
      for (let value = 0; value < 1_000; value++) sample.offer(value);
      return Array.from(sample.sorted());
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
  });
});

describe('QuantileHistogram', () => {
  it('counts on the reference edges and keeps non-finite values in the last bin', () => {
    const histogram = new QuantileHistogram([0, 10], 1);
    for (const value of [-1, 0, 5, 10, 11, NaN, Infinity]) histogram.observe(value);
    expect(histogram.summarize(4).onReferenceEdges).toEqual({ edges: [0, 10], counts: [1, 2, 2, 2] });
  });

  it('derives the next edges from its sample, scaled to every value seen', () => {
    const histogram = new QuantileHistogram(null, 1);
    const generator = new SeededRandom(9);
  const random = (): number => generator.next();
    for (let row = 0; row < 100_000; row++) histogram.observe(row % 50 === 0 ? NaN : random());
    const { onReferenceEdges, nextReference } = histogram.summarize(4);
    expect(onReferenceEdges).toBeNull();
    expect(histogram.sampleSize).toBe(RESERVOIR_CAPACITY);
    expect(nextReference.edges).toHaveLength(3);
    nextReference.edges.forEach((edge, index) => expect(edge).toBeCloseTo((index + 1) / 4, 1));
    const valueBins = nextReference.counts.slice(0, -1);
    expect(valueBins.reduce((sum, count) => sum + count, 0)).toBeCloseTo(98_000, 6);
    valueBins.forEach((count) => expect(count).toBeCloseTo(24_500, -2));
    expect(nextReference.counts.at(-1)).toBe(2_000);
  });
});

describe('RangeHistogram', () => {
  it('bins [min, max] in equal widths, max in the last bin', () => {
    const histogram = new RangeHistogram(0, 1, 4);
    for (const value of [0, 0.24, 0.25, 0.5, 0.99, 1]) histogram.observe(value);
    expect(histogram.summarize()).toEqual({ min: 0, max: 1, counts: [2, 1, 1, 2] });
  });

  it('puts everything in one bin when the range is a point', () => {
    const histogram = new RangeHistogram(3, 3, 4);
    histogram.observe(3);
    expect(histogram.summarize().counts).toEqual([1, 0, 0, 0]);
  });
});
