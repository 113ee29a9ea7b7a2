import { InvalidInputError } from '@platform/domain';
import { type CommitPosition } from './event-stream';

/** Where a message sits in the stream; a `ConsumedMessage` is one. */
export interface MessagePosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

const OFFSET = /^(0|[1-9]\d*)$/;

/** Offsets are int64 decimal strings: BigInt keeps them exact where Number would round past 2^53. */
export function parseOffset(offset: string): bigint {
  if (!OFFSET.test(offset)) {
    throw new InvalidInputError(`offset ${JSON.stringify(offset)} is not a non-negative decimal integer`);
  }
  return BigInt(offset);
}

/** The offset to commit once the message at `offset` is processed: the next one to read. */
export function offsetAfter(offset: string): string {
  return (parseOffset(offset) + 1n).toString();
}

/**
 * What to commit after processing these messages: per topic-partition, the highest offset + 1
 * (messages may come in any order, e.g. from a micro-batch spanning partitions). Sorted by topic,
 * then partition, so equal inputs give equal outputs.
 */
export function commitPositionsAfter(processed: readonly MessagePosition[]): CommitPosition[] {
  const highest = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const { topic, partition, offset } of processed) {
    const key = `${partition}\u0000${topic}`;
    const value = parseOffset(offset);
    const current = highest.get(key);
    if (current === undefined || value > current.offset) highest.set(key, { topic, partition, offset: value });
  }
  return [...highest.values()]
    .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1))
    .map(({ topic, partition, offset }) => ({ topic, partition, offset: (offset + 1n).toString() }));
}
