import { parseOffset } from './commit-positions';
import { type CommittedOffset, type PartitionOffsets } from './event-stream';

export interface PartitionLag {
  readonly partition: number;
  /** Messages of the partition the group has not committed yet. */
  readonly lag: number;
}

/**
 * A consumer group's lag on one topic, per partition: the log end minus the committed offset. A
 * partition the group never committed, or whose committed offset retention has deleted, counts from
 * the log start, where the group would resume.
 */
export function consumerLag(offsets: readonly PartitionOffsets[], committed: readonly CommittedOffset[]): PartitionLag[] {
  const committedBy = new Map(committed.map(({ partition, offset }) => [partition, offset]));
  return offsets.map(({ partition, earliest, end }) => {
    const start = parseOffset(earliest);
    const offset = committedBy.get(partition);
    const resumeAt = offset === null || offset === undefined ? start : parseOffset(offset);
    const lag = parseOffset(end) - (resumeAt > start ? resumeAt : start);
    return { partition, lag: lag > 0n ? Number(lag) : 0 };
  });
}
