import { type BatchPrediction, type EpochMs } from '@platform/domain';
import { assertWithinBudget, type MemoryBudget } from './memory-budget';
import { type SegmentFilter } from './segment-filter';

/**
 * Estimated heap cost of one id in the index beyond its characters: the Map entry (hash table
 * slot, key and value words) and the string header. Measured ballpark on V8, kept deliberately high.
 */
const INDEX_ENTRY_OVERHEAD_BYTES = 64;

/**
 * One batch run of one model, compact: entity ids map to row indexes, outputs live in one
 * Float32Array (as ClickHouse stores them, so served values are exactly the stored ones) with
 * row offsets, scored-at times in a Float64Array, and each row's segment values as an index into
 * the run's few distinct segments. About 100 bytes per row for a short id and one output, against
 * several hundred for an object per row.
 */
export class BatchRunTable {
  constructor(
    readonly model: string,
    readonly runId: string,
    private readonly rowByEntity: ReadonlyMap<string, number>,
    private readonly outputOffsets: Int32Array,
    private readonly outputValues: Float32Array,
    private readonly scoredAtByRow: Float64Array,
    private readonly segmentByRow: Uint32Array,
    private readonly segments: readonly (readonly string[])[],
    readonly estimatedBytes: number,
  ) {}

  get rowCount(): number {
    return this.rowByEntity.size;
  }

  get(entityId: string): BatchPrediction | undefined {
    const row = this.rowByEntity.get(entityId);
    if (row === undefined) return undefined;
    return {
      model: this.model,
      runId: this.runId,
      entityId,
      outputs: Array.from(this.outputValues.subarray(this.outputOffsets[row], this.outputOffsets[row + 1])),
      scoredAt: this.scoredAtByRow[row]!,
    };
  }

  /** The segment values of the entity's row (in the run's segment columns' order); undefined without a row. */
  segmentValuesOf(entityId: string): readonly string[] | undefined {
    const row = this.rowByEntity.get(entityId);
    return row === undefined ? undefined : this.segments[this.segmentByRow[row]!];
  }

  /** Mean of each output over the run's rows (as wide as the widest row): the model's global default. */
  meanOutputs(): number[] {
    const sums: number[] = [];
    const counts: number[] = [];
    for (let row = 0; row < this.rowCount; row++) {
      const start = this.outputOffsets[row]!;
      const end = this.outputOffsets[row + 1]!;
      for (let index = start; index < end; index++) {
        const position = index - start;
        sums[position] = (sums[position] ?? 0) + this.outputValues[index]!;
        counts[position] = (counts[position] ?? 0) + 1;
      }
    }
    return sums.map((sum, position) => sum / counts[position]!);
  }

  /** The first output of a row: the score pages are ranked by (NaN ranks last). */
  scoreAt(row: number): number {
    const start = this.outputOffsets[row]!;
    const score = start < this.outputOffsets[row + 1]! ? this.outputValues[start]! : NaN;
    return Number.isNaN(score) ? -Infinity : score;
  }

  /**
   * Entity ids and rows ranked by score, highest first, ties by entity id: built on first use
   * (sorting a million rows takes about a second) and kept, since a run never changes.
   */
  ranking(): RunRanking {
    if (this.rankingCache === undefined) {
      const entityIds = [...this.rowByEntity.keys()];
      const order = new Int32Array(entityIds.length);
      for (let row = 0; row < order.length; row++) order[row] = row;
      order.sort((a, b) => compareRanked(this.scoreAt(a), entityIds[a]!, this.scoreAt(b), entityIds[b]!));
      this.rankingCache = { entityIds, order };
    }
    return this.rankingCache;
  }

  /**
   * The ranking restricted to the rows a segment filter matches: built on first use of the filter
   * (one pass over the ranked order) and kept for the last few filters asked.
   */
  rankingWhere(filter: SegmentFilter): RunRanking {
    let filtered = this.filteredRankings.get(filter.key);
    if (filtered === undefined) {
      const { entityIds, order } = this.ranking();
      const matching = this.segments.map((values) => filter.matches(values));
      filtered = { entityIds, order: order.filter((row) => matching[this.segmentByRow[row]!]!) };
      if (this.filteredRankings.size >= FILTERED_RANKINGS_KEPT) this.filteredRankings.delete(this.filteredRankings.keys().next().value!);
      this.filteredRankings.set(filter.key, filtered);
    }
    return filtered;
  }

  private rankingCache: RunRanking | undefined;
  private readonly filteredRankings = new Map<string, RunRanking>();
}

/** Segment-filtered orders kept per run (4 bytes per matching row each). */
const FILTERED_RANKINGS_KEPT = 16;

export interface RunRanking {
  /** Entity id of each row. */
  readonly entityIds: readonly string[];
  /** Rows, best ranked first. */
  readonly order: Int32Array;
}

/** Negative when (scoreA, idA) ranks before (scoreB, idB): higher score first, then smaller id. */
export function compareRanked(scoreA: number, idA: string, scoreB: number, idB: string): number {
  if (scoreA !== scoreB) return scoreA > scoreB ? -1 : 1;
  return idA < idB ? -1 : idA > idB ? 1 : 0;
}

/** Where a bulk read of a run puts its rows. */
export interface RunRowSink {
  /** `segmentValues` in the run's segment columns' order (empty for a run without). */
  append(entityId: string, outputs: ArrayLike<number>, scoredAt: EpochMs, segmentValues: readonly string[]): void;
}

/**
 * Builds a BatchRunTable row by row from a bulk read, growing typed arrays by doubling and
 * checking the memory budget as it grows, so a run too large for the budget is refused before it
 * takes the memory.
 */
export class BatchRunTableBuilder implements RunRowSink {
  private readonly rowByEntity = new Map<string, number>();
  private outputOffsets = new Int32Array(1025);
  private outputValues = new Float32Array(1024);
  private scoredAtByRow = new Float64Array(1024);
  private segmentByRow = new Uint32Array(1024);
  private readonly segmentIndexByKey = new Map<string, number>();
  private readonly segments: (readonly string[])[] = [];
  private idBytes = 0;
  private duplicates = 0;

  constructor(
    readonly model: string,
    readonly runId: string,
    private readonly budget: MemoryBudget,
  ) {}

  /** Rows whose entity id was already in the run (the first row of an id is kept). */
  get duplicateRows(): number {
    return this.duplicates;
  }

  append(entityId: string, outputs: ArrayLike<number>, scoredAt: EpochMs, segmentValues: readonly string[]): void {
    if (this.rowByEntity.has(entityId)) {
      this.duplicates++;
      return;
    }
    const row = this.rowByEntity.size;
    const start = this.outputOffsets[row]!;
    this.reserve(row + 1, start + outputs.length);
    this.outputValues.set(outputs, start);
    this.outputOffsets[row + 1] = start + outputs.length;
    this.scoredAtByRow[row] = scoredAt;
    this.segmentByRow[row] = this.segmentIndexOf(segmentValues);
    this.rowByEntity.set(entityId, row);
    this.idBytes += 2 * entityId.length + INDEX_ENTRY_OVERHEAD_BYTES;
  }

  build(): BatchRunTable {
    const rows = this.rowByEntity.size;
    const values = this.outputOffsets[rows]!;
    const outputOffsets = this.outputOffsets.slice(0, rows + 1);
    const outputValues = this.outputValues.slice(0, values);
    const scoredAt = this.scoredAtByRow.slice(0, rows);
    const segmentByRow = this.segmentByRow.slice(0, rows);
    const bytes = this.idBytes + outputOffsets.byteLength + outputValues.byteLength + scoredAt.byteLength + segmentByRow.byteLength;
    // A run that never grew the first arrays was not checked yet.
    assertWithinBudget(this.budget, bytes, `run ${this.runId} of model ${this.model} (${rows} rows)`);
    return new BatchRunTable(this.model, this.runId, this.rowByEntity, outputOffsets, outputValues, scoredAt, segmentByRow, this.segments, bytes);
  }

  /** Distinct segments are few (a run's segment aggregates): rows hold an index into them. */
  private segmentIndexOf(segmentValues: readonly string[]): number {
    // One column is the common case: no JSON per row (JSON text starts with '[', so keys never collide).
    const key = segmentValues.length === 1 ? `=${segmentValues[0]}` : JSON.stringify(segmentValues);
    let index = this.segmentIndexByKey.get(key);
    if (index === undefined) {
      index = this.segments.length;
      this.segments.push([...segmentValues]);
      this.segmentIndexByKey.set(key, index);
    }
    return index;
  }

  private reserve(rows: number, values: number): void {
    const rowCapacity = growTo(this.scoredAtByRow.length, rows);
    const valueCapacity = growTo(this.outputValues.length, values);
    if (rowCapacity === this.scoredAtByRow.length && valueCapacity === this.outputValues.length) return;
    assertWithinBudget(
      this.budget,
      this.idBytes + (rowCapacity + 1) * 4 + valueCapacity * 4 + rowCapacity * 12,
      `run ${this.runId} of model ${this.model} (${rows} rows so far)`,
    );
    if (rowCapacity !== this.scoredAtByRow.length) {
      this.outputOffsets = copyInto(new Int32Array(rowCapacity + 1), this.outputOffsets);
      this.scoredAtByRow = copyInto(new Float64Array(rowCapacity), this.scoredAtByRow);
      this.segmentByRow = copyInto(new Uint32Array(rowCapacity), this.segmentByRow);
    }
    if (valueCapacity !== this.outputValues.length) {
      this.outputValues = copyInto(new Float32Array(valueCapacity), this.outputValues);
    }
  }
}

function growTo(capacity: number, needed: number): number {
  let grown = capacity;
  while (grown < needed) grown *= 2;
  return grown;
}

function copyInto<T extends Int32Array | Uint32Array | Float32Array | Float64Array>(target: T, source: T): T {
  target.set(source);
  return target;
}
