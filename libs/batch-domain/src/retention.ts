import { type BatchRunRecord, type EpochMs } from '@platform/domain';
import { type RunOutputStore } from './run-output';
import { type BatchRunLog } from './run-batch';

/** How long superseded or finished data is kept before its partition is dropped. */
export interface RetentionWindows {
  /** Speed predictions superseded by every run a model could serve, past this age. */
  readonly speedRowsMs: number;
  /** Rejects of failed runs (kept to diagnose them; a published run's go with its predictions). */
  readonly failedRunRejectsMs: number;
  readonly auditMs: number;
}

/** A month partition of `speed_predictions`: per model, the newest event time of its rows there. */
export interface SpeedPartition {
  readonly partition: string;
  readonly newestEventTimeByModel: ReadonlyMap<string, EpochMs>;
}

/** A time partition (a month) and the newest time its rows hold. */
export interface TimePartition {
  readonly partition: string;
  readonly newest: EpochMs;
}

/** The partitions retention reads and drops (18.16 has no TTL). */
export interface RetentionStore {
  speedPartitions(): Promise<SpeedPartition[]>;
  dropSpeedPartition(partition: string): Promise<void>;
  /** Runs that still hold reject rows. */
  runsWithRejects(): Promise<string[]>;
  dropRejects(runId: string): Promise<void>;
  auditPartitions(): Promise<TimePartition[]>;
  dropAuditPartition(partition: string): Promise<void>;
}

export interface RetentionDependencies {
  readonly store: RetentionStore;
  readonly runs: BatchRunLog;
  readonly output: Pick<RunOutputStore, 'storedRuns'>;
  readonly clock?: () => EpochMs;
}

export interface RetentionOutcome {
  readonly speedPartitions: string[];
  readonly rejectRuns: string[];
  readonly auditPartitions: string[];
}

/**
 * Drops, by partition, what no answer can need any more:
 * - a month of speed predictions once, for every model with rows in it, they are at or before the
 *   cut-off of each run the model could serve (the current one and those kept for rollback: the
 *   merge rule serves only speed rows newer than the current run's cut-off) and the month's newest
 *   row is older than the window;
 * - the rejects of a failed run finished longer ago than the window;
 * - a month of the audit log older than the window.
 * A model with no stored published run keeps all its speed rows (nothing to compare them with).
 */
export class SweepRetention {
  private readonly clock: () => EpochMs;

  constructor(private readonly deps: RetentionDependencies) {
    this.clock = deps.clock ?? Date.now;
  }

  async sweep(windows: RetentionWindows): Promise<RetentionOutcome> {
    const now = this.clock();
    const speedPartitions = await this.sweepSpeedRows(now - windows.speedRowsMs);
    const rejectRuns: string[] = [];
    for (const runId of await this.deps.store.runsWithRejects()) {
      const run = await this.deps.runs.get(runId);
      if (run !== undefined && run.status === 'failed' && run.finishedAt > 0 && run.finishedAt < now - windows.failedRunRejectsMs) {
        await this.deps.store.dropRejects(runId);
        rejectRuns.push(runId);
      }
    }
    const auditPartitions: string[] = [];
    for (const { partition, newest } of await this.deps.store.auditPartitions()) {
      if (newest < now - windows.auditMs) {
        await this.deps.store.dropAuditPartition(partition);
        auditPartitions.push(partition);
      }
    }
    return { speedPartitions, rejectRuns, auditPartitions };
  }

  private async sweepSpeedRows(olderThan: EpochMs): Promise<string[]> {
    const partitions = await this.deps.store.speedPartitions();
    if (partitions.length === 0) return [];
    const stored = new Set(await this.deps.output.storedRuns());
    const servableFrom = new Map<string, EpochMs | undefined>();
    const dropped: string[] = [];
    for (const { partition, newestEventTimeByModel } of partitions) {
      let droppable = true;
      for (const [model, newest] of newestEventTimeByModel) {
        if (!servableFrom.has(model)) servableFrom.set(model, oldestServableCutoff(await this.deps.runs.list(model, 1_000), stored));
        const cutoff = servableFrom.get(model);
        if (cutoff === undefined || newest > cutoff || newest >= olderThan) droppable = false;
      }
      if (droppable) {
        await this.deps.store.dropSpeedPartition(partition);
        dropped.push(partition);
      }
    }
    return dropped;
  }
}

/** The smallest cut-off among a model's published runs that still hold predictions (could serve again). */
function oldestServableCutoff(runs: readonly BatchRunRecord[], stored: ReadonlySet<string>): EpochMs | undefined {
  const cutoffs = runs.filter((run) => run.status === 'published' && stored.has(run.runId)).map((run) => run.dataCutoff);
  return cutoffs.length === 0 ? undefined : Math.min(...cutoffs);
}
