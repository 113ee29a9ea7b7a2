import { SeededRandom } from '@platform/domain';

/**
 * Rows kept per sampled stream. Quantile edges from 16k values put each decile within about ±0.25
 * percentage points of the truth, and a column's sample costs 128 KiB whatever the row count. A
 * column missing on most rows keeps fewer finite values (one missing on 90% of rows, about 1.6k),
 * so its edges are noisier.
 */
export const RESERVOIR_CAPACITY = 16_384;

/** Where a chunk's sampled rows go: row `rows[i]` of the chunk replaces slot `slots[i]` of the sample, in order. */
export interface SamplePlacements {
  readonly count: number;
  readonly rows: Int32Array;
  readonly slots: Int32Array;
}

/**
 * A uniform random sample of fixed size over the rows of a stream of any length (Li's algorithm
 * L), drawn as row positions. Between replacements the algorithm draws how many rows to skip, so
 * most rows cost nothing; every column of the stream keeps its values at the same rows, so the
 * draws (a slot, two logarithms, an exponential per replacement) are made once per stream rather
 * than once per column, and a column pays only the copies. Placements depend on the seed and the
 * row count only, never on how the stream was cut into chunks.
 *
 * A column's values at sampled rows that are not finite stay in its sample, and its finite ones
 * are a uniform sample of its finite values: a uniform subset of rows, restricted to those rows.
 */
export class ReservoirRows {
  private readonly random: SeededRandom;
  private seen = 0;
  /** Algorithm L's W: the largest of the kept rows' random keys, shrinking as the stream grows. */
  private weight = 1;
  /** Position in the stream of the next row that replaces a kept one. */
  private nextReplacement = Infinity;
  private rows = new Int32Array(0);
  private slots = new Int32Array(0);

  constructor(
    seed: number,
    readonly capacity = RESERVOIR_CAPACITY,
  ) {
    this.random = new SeededRandom(seed);
  }

  /** Rows held now: min(rows placed, capacity). */
  get size(): number {
    return Math.min(this.seen, this.capacity);
  }

  /** Samples the stream's next `rowCount` rows. The placements are valid until the next call. */
  place(rowCount: number): SamplePlacements {
    if (this.rows.length < rowCount) {
      this.rows = new Int32Array(rowCount);
      this.slots = new Int32Array(rowCount);
    }
    const first = this.seen;
    const end = first + rowCount;
    let count = 0;
    for (let position = first; position < Math.min(end, this.capacity); position++) {
      this.rows[count] = position - first;
      this.slots[count++] = position;
    }
    if (first < this.capacity && end >= this.capacity) this.scheduleReplacementAfter(this.capacity - 1);
    while (this.nextReplacement < end) {
      const position = this.nextReplacement;
      this.rows[count] = position - first;
      this.slots[count++] = Math.floor(this.random.next() * this.capacity);
      this.scheduleReplacementAfter(position);
    }
    this.seen = end;
    return { count, rows: this.rows, slots: this.slots };
  }

  private scheduleReplacementAfter(position: number): void {
    this.weight *= Math.exp(Math.log(this.unitOpenAtZero()) / this.capacity);
    this.nextReplacement = position + Math.floor(Math.log(this.unitOpenAtZero()) / Math.log(1 - this.weight)) + 1;
  }

  /** Uniform in (0, 1]: a logarithm of it is finite. */
  private unitOpenAtZero(): number {
    return 1 - this.random.next();
  }
}

/** One column's values at the rows a `ReservoirRows` keeps. */
export class SampledValues {
  private readonly values: Float64Array;
  private filled = 0;

  constructor(capacity = RESERVOIR_CAPACITY) {
    this.values = new Float64Array(capacity);
  }

  /** Copies the chunk's values at the placed rows into their slots. */
  take(column: ArrayLike<number>, placements: SamplePlacements): void {
    const { count, rows, slots } = placements;
    for (let index = 0; index < count; index++) {
      const slot = slots[index]!;
      // A typed array drops writes out of bounds: a sampler of another capacity would go unnoticed.
      if (slot >= this.values.length) throw new RangeError(`sample slot ${slot} beyond capacity ${this.values.length}`);
      this.values[slot] = column[rows[index]!]!;
      // Slots fill in order before any is replaced.
      if (slot >= this.filled) this.filled = slot + 1;
    }
  }

  /** The finite values held, sorted. */
  sortedFinite(): Float64Array {
    return this.values.subarray(0, this.filled).filter(Number.isFinite).sort();
  }
}
