import { BinEdges, QuantileHistogram, quantileEdges } from './quantile-histogram';
import { RangeHistogram } from './range-histogram';
import { RESERVOIR_CAPACITY, ReservoirRows, SampledValues } from './reservoir-sample';
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

/** The sample of a stream of `streamLength` rows whose value is their position, placed in chunks of `chunkRows`. */
function sampledPositions(sampler: ReservoirRows, streamLength: number, chunkRows = 1_000): Float64Array {
  const sample = new SampledValues(sampler.capacity);
  for (let first = 0; first < streamLength; first += chunkRows) {
    const rowCount = Math.min(chunkRows, streamLength - first);
    sample.take(
      Float64Array.from({ length: rowCount }, (_, row) => first + row),
      sampler.place(rowCount),
    );
  }
  return sample.sortedFinite();
}

describe('ReservoirRows', () => {
  it('keeps a fixed number of rows however long the stream, uniformly drawn', () => {
    const sampler = new ReservoirRows(1);
    const streamLength = 20 * RESERVOIR_CAPACITY;
    const sorted = sampledPositions(sampler, streamLength, 65_536);
    expect(sampler.size).toBe(RESERVOIR_CAPACITY);
    expect(sorted).toHaveLength(RESERVOIR_CAPACITY);
    expect(Math.abs(sorted[RESERVOIR_CAPACITY / 2]! - streamLength / 2)).toBeLessThan(streamLength / 50);
  });

  it('keeps every position of the stream with the same probability, capacity / length', () => {
    const capacity = 8;
    const streamLength = 100;
    const seeds = 4_000;
    const keptAt = new Array<number>(streamLength).fill(0);
    for (let seed = 1; seed <= seeds; seed++) {
      for (const kept of sampledPositions(new ReservoirRows(seed, capacity), streamLength, 7)) keptAt[kept]! += 1;
    }
    // Expected 320 per position (sd about 17): the first rows, the fill, and the last are no exception.
    const expected = (seeds * capacity) / streamLength;
    for (const count of keptAt) expect(Math.abs(count - expected)).toBeLessThan(expected / 4);
    expect(keptAt.reduce((sum, count) => sum + count, 0)).toBe(seeds * capacity);
  });

  it('depends on the seed and the row count only, not on the chunking', () => {
    const draw = (seed: number, chunkRows: number): number[] => Array.from(sampledPositions(new ReservoirRows(seed, 8), 1_000, chunkRows));
    expect(draw(3, 1)).toEqual(draw(3, 1_000));
    expect(draw(3, 7)).toEqual(draw(3, 1_000));
    expect(draw(3, 1_000)).not.toEqual(draw(4, 1_000));
  });

  it('refuses placements from a sampler of a larger capacity', () => {
    expect(() => new SampledValues(4).take(new Float64Array(8), new ReservoirRows(1, 8).place(8))).toThrow('sample slot 4 beyond capacity 4');
  });

  it('leaves values that are not finite out of the sorted sample', () => {
    const sample = new SampledValues(4);
    sample.take(Float64Array.of(2, NaN, -Infinity, 1), new ReservoirRows(1, 4).place(4));
    expect(Array.from(sample.sortedFinite())).toEqual([1, 2]);
  });
});

describe('QuantileHistogram', () => {
  /** Observes `values` in chunks of 1,000 rows, the sample placed as a run places it. */
  function observe(histogram: QuantileHistogram, values: Float64Array): void {
    const sampler = new ReservoirRows(1);
    for (let first = 0; first < values.length; first += 1_000) {
      const chunk = values.subarray(first, first + 1_000);
      histogram.observeColumn(chunk, chunk.length, sampler.place(chunk.length));
    }
  }

  it('counts on the reference edges and keeps non-finite values in the last bin', () => {
    const histogram = new QuantileHistogram([0, 10]);
    observe(histogram, Float64Array.of(-1, 0, 5, 10, 11, NaN, Infinity));
    expect(histogram.summarize(4).onReferenceEdges).toEqual({ edges: [0, 10], counts: [1, 2, 2, 2] });
  });

  it('derives the next edges from its sample, scaled to every value seen', () => {
    const histogram = new QuantileHistogram(null);
    const generator = new SeededRandom(9);
    observe(histogram, Float64Array.from({ length: 100_000 }, (_, row) => (row % 50 === 0 ? NaN : generator.next())));
    const { onReferenceEdges, nextReference } = histogram.summarize(4);
    expect(onReferenceEdges).toBeNull();
    expect(nextReference.edges).toHaveLength(3);
    nextReference.edges.forEach((edge, index) => expect(edge).toBeCloseTo((index + 1) / 4, 1));
    const valueBins = nextReference.counts.slice(0, -1);
    expect(valueBins.reduce((sum, count) => sum + count, 0)).toBeCloseTo(98_000, 6);
    valueBins.forEach((count) => expect(count).toBeCloseTo(24_500, -2));
    expect(nextReference.counts.at(-1)).toBe(2_000);
  });

  it('puts every finite value in one bin when no sampled row holds one', () => {
    const histogram = new QuantileHistogram(null);
    const values = new Float64Array(100_000).fill(NaN);
    values[99_999] = 1; // past the fill; seed 1 places no replacement on it
    observe(histogram, values);
    expect(histogram.summarize(4).nextReference).toEqual({ edges: [], counts: [1, 99_999] });
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
