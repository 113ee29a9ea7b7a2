import { asyncScheduler, Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { InvalidInputError } from '@platform/domain';

export interface MicroBatchPolicy {
  /** A batch is flushed once it holds this many items… */
  readonly maxCount: number;
  /** …or this long after its first item arrived, whichever comes first. */
  readonly maxWaitMs: number;
  /**
   * Flushes are at least this far apart: every flush is an insert, and a server without async
   * inserts turns a high insert rate into "too many parts". A flush due sooner waits, and takes
   * everything that arrived meanwhile, so a batch can then exceed `maxCount`.
   */
  readonly minIntervalMs: number;
}

export class InvalidMicroBatchPolicyError extends InvalidInputError {
  override readonly code = 'INVALID_MICRO_BATCH_POLICY';
}

/**
 * Groups a stream into batches by count or by time, whichever first, never flushing twice within
 * `minIntervalMs` and never flushing an empty batch. An item waits at most
 * max(maxWaitMs, minIntervalMs). On completion the remainder is flushed (still no sooner than the
 * interval allows), then the output completes; on error, buffered items are dropped with the
 * error — they were never committed, so the stream redelivers them.
 *
 * Timers only (no wall-clock arithmetic), so a clock step cannot hold a flush back.
 */
export function microBatch<T>(policy: MicroBatchPolicy): OperatorFunction<T, T[]> {
  assertPolicy(policy);
  const { maxCount, maxWaitMs, minIntervalMs } = policy;
  return (source) =>
    new Observable<T[]>((subscriber) => {
      let buffer: T[] = [];
      let waitTimer: Subscription | null = null;
      // Non-null while the minimum interval since the last flush runs.
      let intervalTimer: Subscription | null = null;
      let flushDue = false;
      let sourceDone = false;

      const flush = (): void => {
        waitTimer?.unsubscribe();
        waitTimer = null;
        flushDue = false;
        const batch = buffer;
        buffer = [];
        if (minIntervalMs > 0) intervalTimer = asyncScheduler.schedule(intervalOver, minIntervalMs);
        subscriber.next(batch);
        if (sourceDone) subscriber.complete();
      };
      const intervalOver = (): void => {
        intervalTimer = null;
        if (flushDue) flush();
      };
      const requestFlush = (): void => {
        if (intervalTimer === null) flush();
        else flushDue = true;
      };

      const subscription = source.subscribe({
        next: (item) => {
          buffer.push(item);
          if (buffer.length >= maxCount) {
            requestFlush();
          } else if (buffer.length === 1) {
            waitTimer = asyncScheduler.schedule(() => {
              waitTimer = null;
              requestFlush();
            }, maxWaitMs);
          }
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          if (buffer.length === 0) subscriber.complete();
          else requestFlush();
        },
      });
      return () => {
        subscription.unsubscribe();
        waitTimer?.unsubscribe();
        intervalTimer?.unsubscribe();
      };
    });
}

function assertPolicy({ maxCount, maxWaitMs, minIntervalMs }: MicroBatchPolicy): void {
  const problems = [
    Number.isSafeInteger(maxCount) && maxCount >= 1 ? null : `maxCount must be an integer >= 1, got ${maxCount}`,
    Number.isFinite(maxWaitMs) && maxWaitMs >= 0 ? null : `maxWaitMs must be a finite number >= 0, got ${maxWaitMs}`,
    Number.isFinite(minIntervalMs) && minIntervalMs >= 0 ? null : `minIntervalMs must be a finite number >= 0, got ${minIntervalMs}`,
  ].filter((problem) => problem !== null);
  if (problems.length > 0) throw new InvalidMicroBatchPolicyError(`invalid micro-batch policy: ${problems.join('; ')}`);
}
