import { type StringColumn } from '@platform/columnar';
import { type SegmentAggregate, type SegmentsSummary } from './verification-report';

/**
 * One segment column of a chunk, one value per row: categorical codes, strings, or text as the
 * feature source reads it (bytes, Arrow's Binary layout).
 */
export type SegmentColumn = Int32Array | readonly string[] | StringColumn;

/**
 * Most segments kept per run. Segments are meant to be a few low-cardinality columns (region,
 * plan); a high-cardinality choice must not make memory grow with the row count, so rows of
 * segments first seen past the cap are pooled into one overflow aggregate.
 */
export const DEFAULT_MAX_SEGMENTS = 1_000;

export function segmentColumnLength(column: SegmentColumn): number {
  return 'kind' in column ? column.offsets.length - 1 : column.length;
}

/** One column's value on one row as it keys a segment: a code, a string, or exact bytes. */
type KeyPart = number | string | Uint8Array;

interface SegmentTotals {
  /** The key, one part per column: compared on a hash match, so no key is built per row. */
  readonly parts: readonly KeyPart[];
  readonly values: (string | number)[];
  count: number;
  /** Per output: sum and count of its finite values. */
  readonly sums: Float64Array;
  readonly finiteCounts: Float64Array;
}

/** Reads one column: its rows' hashes in one pass, then a comparison per row, the value itself only for a segment's first row. */
interface SegmentReader {
  /** Mixes each row's value into its running 32-bit FNV-1a hash. */
  mixHashes(hashes: Int32Array, rowCount: number): void;
  /** Whether the row's value is `part`, a part this reader made. */
  matches(row: number, part: KeyPart): boolean;
  part(row: number): KeyPart;
  value(row: number): string | number;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * Slots of segments by the hash of their key, in open addressing: finding a row's segment costs a
 * probe of two typed arrays, not a Map lookup. Distinct keys sharing a hash take successive slots.
 */
class SegmentSlots {
  hashes = new Int32Array(64);
  /** Index of the segment in a slot plus one; 0 for an empty slot. */
  segments = new Int32Array(64);
  private count = 0;

  add(hash: number, segment: number): void {
    // At most half full, so a probe soon ends on an empty slot.
    if (2 * (this.count + 1) > this.segments.length) this.grow();
    this.place(hash, segment);
    this.count++;
  }

  private place(hash: number, segment: number): void {
    const mask = this.segments.length - 1;
    let slot = hash & mask;
    while (this.segments[slot] !== 0) slot = (slot + 1) & mask;
    this.hashes[slot] = hash;
    this.segments[slot] = segment + 1;
  }

  private grow(): void {
    const { hashes, segments } = this;
    this.hashes = new Int32Array(2 * segments.length);
    this.segments = new Int32Array(2 * segments.length);
    segments.forEach((occupant, slot) => {
      if (occupant !== 0) this.place(hashes[slot]!, occupant - 1);
    });
  }
}

/** Row count and mean score per segment: the cold-start aggregates and the slice view. */
export class SegmentAccumulator {
  private readonly segments: SegmentTotals[] = [];
  private readonly slots = new SegmentSlots();
  private overflow: SegmentTotals | null = null;
  /** Scratch: the current chunk's key hash per row. */
  private rowHashes = new Int32Array(0);

  constructor(
    private readonly columns: readonly string[],
    private readonly outputNames: readonly string[],
    private readonly maxSegments: number,
  ) {}

  /** `segments` in the order of the columns; `outputs` row-major, one value per output per row. */
  observe(segments: readonly SegmentColumn[], outputs: Float32Array, rowCount: number): void {
    const readers = segments.map(segmentReader);
    const hashes = this.hashesOf(readers, rowCount);
    const width = this.outputNames.length;
    for (let row = 0; row < rowCount; row++) {
      const hash = hashes[row]!;
      const totals = this.segmentOf(readers, row, hash) ?? this.newSegment(readers, row, hash);
      totals.count++;
      for (let output = 0; output < width; output++) {
        const value = outputs[row * width + output]!;
        if (!Number.isFinite(value)) continue;
        totals.sums[output]! += value;
        totals.finiteCounts[output]! += 1;
      }
    }
  }

  summarize(): SegmentsSummary {
    // Sorted by value, so a report does not depend on which rows came first.
    const groups = [...this.segments].sort((a, b) => compareTuples(a.values, b.values)).map((totals) => this.aggregate(totals));
    const overflow = this.overflow === null ? null : { count: this.overflow.count, outputMeans: this.outputMeans(this.overflow) };
    return { columns: [...this.columns], groups, overflow };
  }

  /** Each row's key hash, column by column: one tight loop per column rather than a call per row and column. */
  private hashesOf(readers: readonly SegmentReader[], rowCount: number): Int32Array {
    if (this.rowHashes.length < rowCount) this.rowHashes = new Int32Array(rowCount);
    const hashes = this.rowHashes;
    hashes.fill(FNV_OFFSET, 0, rowCount);
    for (const reader of readers) reader.mixHashes(hashes, rowCount);
    return hashes;
  }

  /** The segment of the row, if seen before. */
  private segmentOf(readers: readonly SegmentReader[], row: number, hash: number): SegmentTotals | undefined {
    const { hashes: slotHashes, segments: slotSegments } = this.slots;
    const mask = slotSegments.length - 1;
    for (let slot = hash & mask; slotSegments[slot] !== 0; slot = (slot + 1) & mask) {
      const totals = this.segments[slotSegments[slot]! - 1]!;
      if (slotHashes[slot] === hash && rowMatches(readers, row, totals.parts)) return totals;
    }
    return undefined;
  }

  /** A segment first seen on `row`, or the overflow once the cap is reached. */
  private newSegment(readers: readonly SegmentReader[], row: number, hash: number): SegmentTotals {
    if (this.segments.length >= this.maxSegments) {
      this.overflow ??= this.newTotals([], []);
      return this.overflow;
    }
    const totals = this.newTotals(
      readers.map((reader) => reader.part(row)),
      readers.map((reader) => reader.value(row)),
    );
    this.slots.add(hash, this.segments.length);
    this.segments.push(totals);
    return totals;
  }

  private newTotals(parts: KeyPart[], values: (string | number)[]): SegmentTotals {
    const width = this.outputNames.length;
    return { parts, values, count: 0, sums: new Float64Array(width), finiteCounts: new Float64Array(width) };
  }

  private aggregate(totals: SegmentTotals): SegmentAggregate {
    return { values: [...totals.values], count: totals.count, outputMeans: this.outputMeans(totals) };
  }

  private outputMeans(totals: SegmentTotals): Record<string, number | null> {
    const means: Record<string, number | null> = {};
    this.outputNames.forEach((name, output) => {
      const finite = totals.finiteCounts[output]!;
      means[name] = finite === 0 ? null : totals.sums[output]! / finite;
    });
    return means;
  }
}

const utf8 = new TextDecoder();

function rowMatches(readers: readonly SegmentReader[], row: number, parts: readonly KeyPart[]): boolean {
  for (let index = 0; index < readers.length; index++) if (!readers[index]!.matches(row, parts[index]!)) return false;
  return true;
}

function segmentReader(column: SegmentColumn): SegmentReader {
  if (column instanceof Int32Array) {
    return {
      mixHashes: (hashes, rowCount) => {
        for (let row = 0; row < rowCount; row++) hashes[row] = Math.imul(hashes[row]! ^ column[row]!, FNV_PRIME);
      },
      matches: (row, part) => part === column[row],
      part: (row) => column[row]!,
      value: (row) => column[row]!,
    };
  }
  if ('kind' in column) return bytesReader(column);
  return {
    mixHashes: (hashes, rowCount) => {
      for (let row = 0; row < rowCount; row++) {
        const value = column[row]!;
        let hash = hashes[row]!;
        for (let index = 0; index < value.length; index++) hash = Math.imul(hash ^ value.charCodeAt(index), FNV_PRIME);
        hashes[row] = Math.imul(hash ^ value.length, FNV_PRIME);
      }
    },
    matches: (row, part) => part === column[row],
    part: (row) => column[row]!,
    value: (row) => column[row]!,
  };
}

/** Segments of text keyed by their exact bytes: ids that are not valid UTF-8 stay distinct. */
function bytesReader(column: StringColumn): SegmentReader {
  const { bytes, offsets } = column;
  return {
    mixHashes: (hashes, rowCount) => {
      for (let row = 0; row < rowCount; row++) {
        const end = offsets[row + 1]!;
        let hash = hashes[row]!;
        for (let index = offsets[row]!; index < end; index++) hash = Math.imul(hash ^ bytes[index]!, FNV_PRIME);
        // The length ends the value, so ('ab', 'c') and ('a', 'bc') hash apart.
        hashes[row] = Math.imul(hash ^ (end - offsets[row]!), FNV_PRIME);
      }
    },
    matches: (row, part) => {
      const start = offsets[row]!;
      if (!(part instanceof Uint8Array) || part.length !== offsets[row + 1]! - start) return false;
      for (let index = 0; index < part.length; index++) if (part[index] !== bytes[start + index]) return false;
      return true;
    },
    // A copy: a view (Buffer's slice is one) would pin the chunk's whole buffer for the run.
    part: (row) => new Uint8Array(bytes.subarray(offsets[row], offsets[row + 1])),
    value: (row) => utf8.decode(bytes.subarray(offsets[row], offsets[row + 1])),
  };
}

/** Column by column: codes numerically, strings by UTF-16 code units. */
function compareTuples(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let index = 0; index < a.length; index++) {
    const left = a[index]!;
    const right = b[index]!;
    if (left !== right) return left < right ? -1 : 1;
  }
  return 0;
}
