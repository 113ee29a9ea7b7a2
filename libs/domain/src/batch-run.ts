import { type EpochMs } from './predictions';

/** running → verifying → published | failed. A run is visible to readers only once published. */
export type BatchRunStatus = 'running' | 'verifying' | 'published' | 'failed';

export const BATCH_RUN_STATUSES: readonly BatchRunStatus[] = ['running', 'verifying', 'published', 'failed'];

/** One state change of a batch run; the run's state is its latest record. */
export interface BatchRunRecord {
  readonly runId: string;
  readonly model: string;
  readonly modelVersion: string;
  readonly status: BatchRunStatus;
  readonly startedAt: EpochMs;
  /** 0 while the run has not finished. */
  readonly finishedAt: EpochMs;
  readonly updatedAt: EpochMs;
  readonly rows: number;
  readonly dataCutoff: EpochMs;
  /** Verification report as JSON text; empty until verification ran. */
  readonly report: string;
  /** Why the run failed; empty otherwise. */
  readonly error: string;
}
