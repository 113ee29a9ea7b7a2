import { type BatchRunRecord, type EpochMs } from '@platform/domain';
import { type BatchRunLog } from './run-batch';
import { type RunLock } from './run-lock';
import { type RunOutputStore } from './run-output';

export interface RecoverInterruptedRunsDependencies {
  readonly runs: BatchRunLog;
  readonly output: RunOutputStore;
  readonly lock: RunLock;
  readonly clock?: () => EpochMs;
}

/**
 * On start: a run still 'running' or 'verifying' while nobody holds its model's lock was killed
 * mid-way (SIGKILL, power loss). It was never published, so nothing of it is served; this marks it
 * failed and drops its partitions, so the next run starts clean.
 */
export class RecoverInterruptedRuns {
  private readonly clock: () => EpochMs;

  constructor(private readonly deps: RecoverInterruptedRunsDependencies) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Returns the runs it marked failed. Throws RunInProgressError while a run of the model is live. */
  async execute(model: string): Promise<BatchRunRecord[]> {
    const lease = await this.deps.lock.acquire(model);
    try {
      const interrupted = (await this.deps.runs.list(model, 1_000)).filter(
        (run) => run.status === 'running' || run.status === 'verifying',
      );
      const recovered: BatchRunRecord[] = [];
      for (const run of interrupted) {
        const now = this.clock();
        const failed: BatchRunRecord = {
          ...run,
          status: 'failed',
          finishedAt: now,
          updatedAt: Math.max(now, run.updatedAt + 1),
          error: `interrupted while ${run.status}: the process stopped before the run finished`,
        };
        await this.deps.runs.record(failed);
        await this.deps.output.dropRun(run.runId);
        recovered.push(failed);
      }
      return recovered;
    } finally {
      await lease.release();
    }
  }
}
