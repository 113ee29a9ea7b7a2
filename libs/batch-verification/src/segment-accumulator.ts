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

interface SegmentTotals {
  readonly values: (string | number)[];
  count: number;
  /** Per output: sum and count of its finite values. */
  readonly sums: Float64Array;
  readonly finiteCounts: Float64Array;
}

/** Reads one column's rows: a cheap key per row, the value itself only for a segment's first row. */
interface SegmentReader {
  key(row: number): string;
  value(row: number): string | number;
}

/** Row count and mean score per segment: the cold-start aggregates and the slice view. */
export class SegmentAccumulator {
  private readonly groups = new Map<string, SegmentTotals>();
  private overflow: SegmentTotals | null = null;

  constructor(
    private readonly columns: readonly string[],
    private readonly outputNames: readonly string[],
    private readonly maxSegments: number,
  ) {}

  /** `segments` in the order of the columns; `outputs` row-major, one value per output per row. */
  observe(segments: readonly SegmentColumn[], outputs: Float32Array, rowCount: number): void {
    const readers = segments.map(segmentReader);
    const width = this.outputNames.length;
    for (let row = 0; row < rowCount; row++) {
      const totals = this.totalsOf(readers, row);
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
    const groups = [...this.groups.values()]
      .sort((a, b) => compareTuples(a.values, b.values))
      .map((totals) => this.aggregate(totals));
    const overflow = this.overflow === null ? null : { count: this.overflow.count, outputMeans: this.outputMeans(this.overflow) };
    return { columns: [...this.columns], groups, overflow };
  }

  private totalsOf(readers: readonly SegmentReader[], row: number): SegmentTotals {
    let key = '';
    for (const reader of readers) key += reader.key(row);
    const known = this.groups.get(key);
    if (known !== undefined) return known;
    if (this.groups.size >= this.maxSegments) {
      this.overflow ??= this.newTotals([]);
      return this.overflow;
    }
    const totals = this.newTotals(readers.map((reader) => reader.value(row)));
    this.groups.set(key, totals);
    return totals;
  }

  private newTotals(values: (string | number)[]): SegmentTotals {
    const width = this.outputNames.length;
    return { values, count: 0, sums: new Float64Array(width), finiteCounts: new Float64Array(width) };
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

/** Keys end in '|' and strings are length-prefixed, so no value can make two tuples collide. */
function segmentReader(column: SegmentColumn): SegmentReader {
  if (column instanceof Int32Array) {
    return { key: (row) => `${column[row]!}|`, value: (row) => column[row]! };
  }
  if ('kind' in column) {
    const bytesOf = (row: number): Uint8Array => column.bytes.subarray(column.offsets[row]!, column.offsets[row + 1]!);
    // One char per byte: exact for any bytes and cheaper than decoding UTF-8 on every row.
    return { key: (row) => `${bytesKey(bytesOf(row))}|`, value: (row) => utf8.decode(bytesOf(row)) };
  }
  return { key: (row) => `${column[row]!.length}:${column[row]!}|`, value: (row) => column[row]! };
}

function bytesKey(bytes: Uint8Array): string {
  let key = `${bytes.length}:`;
  for (const byte of bytes) key += String.fromCharCode(byte);
  return key;
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
