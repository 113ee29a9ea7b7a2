import { PlatformError } from '@platform/domain';

/** Another run of the model holds the lock: this one must not start (retry later). */
export class RunInProgressError extends PlatformError {
  readonly code = 'RUN_IN_PROGRESS';
  readonly retriable = true;
}

/** The lease was lost mid-run (e.g. the Kafka group gave it to another member): the run stops unpublished. */
export class RunLeaseLostError extends PlatformError {
  readonly code = 'RUN_LEASE_LOST';
  readonly retriable = true;
}

/** The right to run one model, held until `release()`. */
export interface RunLease {
  /**
   * Aborted when the lease is lost before release (group membership lost, session expired). A run
   * checks it between chunks and before publishing, so a run that lost its lease never publishes.
   */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

/**
 * At most one run per model at a time. ClickHouse has no compare-and-set, so this is not a row:
 * embedded, an in-process lock plus a file lock; with Kafka, group membership of a control topic.
 * `acquire` throws RunInProgressError when the model is already running.
 */
export interface RunLock {
  acquire(model: string): Promise<RunLease>;
}

/** A lease that is only lost by releasing it: locks whose holder cannot be displaced (file, in-process). */
export function stableLease(release: () => Promise<void>): RunLease {
  return { lost: new AbortController().signal, release };
}

/** Throws RunLeaseLostError once the lease is lost. */
export function assertLeaseHeld(lease: RunLease, model: string): void {
  if (lease.lost.aborted) {
    throw new RunLeaseLostError(`the run lease of model ${model} was lost (${String(lease.lost.reason ?? 'no reason given')}); the run stops unpublished`);
  }
}
