import { PlatformError } from '@platform/domain';

/** Another run of the model holds the lock: this one must not start (retry later). */
export class RunInProgressError extends PlatformError {
  readonly code = 'RUN_IN_PROGRESS';
  readonly retriable = true;
}

export type ReleaseRunLock = () => Promise<void>;

/**
 * At most one run per model at a time. ClickHouse has no compare-and-set, so this is not a row:
 * embedded, an in-process lock plus a file lock; with Kafka, group membership of a control topic.
 * `acquire` throws RunInProgressError when the model is already running.
 */
export interface RunLock {
  acquire(model: string): Promise<ReleaseRunLock>;
}
