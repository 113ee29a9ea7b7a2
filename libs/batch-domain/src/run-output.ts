import { type StringColumn } from '@platform/columnar';
import { type EpochMs } from '@platform/domain';

/** Scored rows of one chunk: outputs row-major, `outputCount` per row. */
export interface ScoredRows {
  readonly rowCount: number;
  readonly entityIds: StringColumn;
  readonly outputs: Float32Array;
  readonly outputCount: number;
  /** The deployment's segment columns, in its order: stored with each prediction for segment filters. */
  readonly segmentValues: readonly StringColumn[];
}

export interface RejectedRow {
  /** The id's bytes, exactly as the source holds them. */
  readonly entityId: Uint8Array;
  readonly reason: string;
  /** The feature that made the row unusable; empty when the row as a whole was (e.g. its id). */
  readonly feature: string;
}

export interface SegmentAggregate {
  readonly segmentValues: readonly string[];
  readonly rowCount: number;
  readonly outputMeans: readonly number[];
}

/** Where a run's rows go: one partition per run in each table, so a run is dropped whole. */
export interface RunOutputStore {
  writePredictions(model: string, runId: string, rows: ScoredRows, scoredAt: EpochMs): Promise<void>;
  writeRejects(model: string, runId: string, rejects: readonly RejectedRow[]): Promise<void>;
  writeSegmentAggregates(
    model: string,
    runId: string,
    segmentColumns: readonly string[],
    aggregates: readonly SegmentAggregate[],
  ): Promise<void>;
  countPredictions(runId: string): Promise<number>;
  /**
   * Drops every partition of the run: predictions, rejects and aggregates. A failed run keeps its
   * rejects (`keepRejects`) so it can be diagnosed; retention drops them later.
   */
  dropRun(runId: string, options?: { readonly keepRejects: boolean }): Promise<void>;
  /** Run ids that still hold predictions. */
  storedRuns(): Promise<string[]>;
}
