import { randomBytes } from 'node:crypto';
import { type CommitPosition, type ConsumedMessage, type EventStream, EventStreamRequestError, type OutgoingMessage } from '@platform/event-stream';
import { type DeadLetter, type DeadLetterReason, parseDeadLetterMessage } from '@platform/speed-domain';

/**
 * Which dead letters to inspect or replay. Offsets are the letters' own offsets in the dead-letter
 * topic (inclusive bounds), as `inspect` prints them; every field is optional (absent = all).
 */
export interface DeadLetterSelection {
  readonly reasons?: ReadonlySet<DeadLetterReason>;
  readonly partition?: number;
  readonly fromOffset?: bigint;
  readonly toOffset?: bigint;
}

/** Where a letter sits in the dead-letter topic. */
export interface DeadLetterPosition {
  readonly partition: number;
  readonly offset: string;
}

export function selectsDeadLetter(selection: DeadLetterSelection, position: DeadLetterPosition, letter: Pick<DeadLetter, 'reason'>): boolean {
  if (selection.reasons !== undefined && selection.reasons.size > 0 && !selection.reasons.has(letter.reason)) return false;
  if (selection.partition !== undefined && selection.partition !== position.partition) return false;
  const offset = BigInt(position.offset);
  if (selection.fromOffset !== undefined && offset < selection.fromOffset) return false;
  if (selection.toOffset !== undefined && offset > selection.toOffset) return false;
  return true;
}

interface ReadPosition extends DeadLetterPosition {
  /** Before the replay group's committed offset: replayed (or passed over) already. */
  readonly replayed: boolean;
}

/** A message of the dead-letter topic as read: the letter, or why it is not one (never replayed). */
type ReadDeadLetter = (ReadPosition & { readonly letter: DeadLetter }) | (ReadPosition & { readonly unreadable: string });

function readLetter(message: ConsumedMessage, replayedUpTo: bigint | undefined): ReadDeadLetter {
  const position = { partition: message.partition, offset: message.offset, replayed: replayedUpTo !== undefined && BigInt(message.offset) < replayedUpTo };
  try {
    return { ...position, letter: parseDeadLetterMessage(message) };
  } catch (error) {
    return { ...position, unreadable: (error as Error).message };
  }
}

/** What a replay sends for a letter: the original key, value bytes and headers (the `dlq-*` ones dropped). */
export function replayMessage(letter: DeadLetter): OutgoingMessage | null {
  // The port sends no null values: a tombstone cannot be re-sent as it was (and would only be dead-lettered again as empty).
  if (letter.value === null) return null;
  return { key: letter.key, value: letter.value, headers: letter.headers };
}

/** The replay consumer group of a speed layer group: its committed offsets on the dead-letter topic mark what was replayed. */
export function deadLetterReplayGroup(speedGroupId: string): string {
  return `${speedGroupId}.dlq-replay`;
}

export interface DeadLetterTopicOptions {
  readonly deadLetterTopic: string;
  /** The replay group: its committed offsets are where a replay resumes. */
  readonly replayGroupId: string;
}

interface PartitionRange {
  /** The first offset to read: the replay group's committed offset, else the log's earliest. */
  readonly from: bigint;
  /** The high watermark when the command started: letters dead-lettered later (a replay's own failures among them) wait for the next command. */
  readonly end: bigint;
  readonly replayedUpTo: bigint | undefined;
}

export interface PartitionProgress {
  readonly partition: number;
  readonly earliest: string;
  readonly end: string;
  /** The replay group's committed offset, or null when it never replayed this partition. */
  readonly replayedUpTo: string | null;
}

/**
 * Reads a dead-letter topic once, from each partition's start (`fromCommitted`: the replay group's
 * committed offset) to its high watermark at the start, handing each batch of letters over. With
 * `commitAs` the reading member is that group (exclusive: a second concurrent replay gets nothing
 * and is refused) and `handle` may commit; otherwise a throwaway group that commits nothing.
 */
async function readDeadLetterTopic(
  stream: EventStream,
  options: DeadLetterTopicOptions & { readonly fromCommitted: boolean; readonly commitAs?: string; readonly narrowTo?: DeadLetterSelection },
  handle: (letters: readonly ReadDeadLetter[], commit: (positions: readonly CommitPosition[]) => Promise<void>) => Promise<void> | void,
): Promise<readonly PartitionProgress[]> {
  const topic = options.deadLetterTopic;
  const admin = stream.createAdmin();
  await admin.connect();
  let progress: PartitionProgress[];
  try {
    // One after the other: a missing topic fails the first at once, instead of the second retrying meanwhile.
    const offsets = await admin.fetchTopicOffsets(topic);
    const committed = await admin.fetchCommittedOffsets(options.replayGroupId, topic);
    progress = offsets.map(({ partition, earliest, end }) => ({ partition, earliest, end, replayedUpTo: committed.find((entry) => entry.partition === partition)?.offset ?? null }));
  } finally {
    await admin.disconnect();
  }
  const ranges = new Map<number, PartitionRange>(
    progress.map(({ partition, earliest, end, replayedUpTo }) => {
      const start = options.fromCommitted && replayedUpTo !== null && BigInt(replayedUpTo) > BigInt(earliest) ? BigInt(replayedUpTo) : BigInt(earliest);
      const { partition: only, toOffset } = options.narrowTo ?? {};
      // A replay never reads (and so never passes over) letters of other partitions or past its last offset.
      const stop = only !== undefined && only !== partition ? start : toOffset !== undefined && toOffset + 1n < BigInt(end) ? toOffset + 1n : BigInt(end);
      return [partition, { from: start, end: stop < start ? start : stop, replayedUpTo: replayedUpTo === null ? undefined : BigInt(replayedUpTo) }];
    }),
  );
  const pending = new Set([...ranges].filter(([, range]) => range.from < range.end).map(([partition]) => partition));
  if (pending.size === 0) return progress;

  const groupId = options.commitAs ?? `${options.replayGroupId}.inspect-${randomBytes(4).toString('hex')}`;
  const consumer = stream.createConsumer({ groupId, autoOffsetReset: 'earliest', ...(options.commitAs === undefined ? {} : { exclusive: true }) });
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  const commit = (positions: readonly CommitPosition[]) => consumer.commit(positions);
  consumer.onCrash((error, restarting) => {
    if (!restarting) finish(error);
  });
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    const assignment = await consumer.run(async (batch) => {
      const range = ranges.get(batch.partition);
      if (range === undefined || !pending.has(batch.partition)) return;
      const inRange = batch.messages.filter((message) => BigInt(message.offset) >= range.from && BigInt(message.offset) < range.end);
      if (inRange.length > 0) await handle(
          inRange.map((message) => readLetter(message, range.replayedUpTo)),
          commit,
        );
      const last = batch.messages.at(-1);
      if (last !== undefined && BigInt(last.offset) + 1n >= range.end) {
        pending.delete(batch.partition);
        if (pending.size === 0) finish();
      }
    });
    if (assignment.every(({ partitions }) => partitions.length === 0)) {
      throw new EventStreamRequestError('another member of the group holds the dead-letter topic: is a replay already running?', {
        operation: 'replay dead letters',
        topic,
        groupId,
      });
    }
    await finished;
  } finally {
    await consumer.stop();
  }
  return progress;
}

export interface DeadLetterSample {
  readonly partition: number;
  readonly offset: string;
  readonly reason: DeadLetterReason;
  readonly detail: string;
  readonly source: DeadLetter['source'];
  readonly failedAt: number;
  readonly key: string | null;
  /** The value's first bytes as UTF-8 (invalid bytes shown as U+FFFD); null for a tombstone. */
  readonly valuePreview: string | null;
  readonly valueBytes: number;
}

export interface DeadLetterInspection {
  readonly topic: string;
  readonly replayGroupId: string;
  readonly partitions: readonly PartitionProgress[];
  /** Every letter in the topic, by reason. */
  readonly byReason: Readonly<Partial<Record<DeadLetterReason, number>>>;
  /** Letters at or past the replay group's committed offsets (not replayed or passed over yet), by reason. */
  readonly pendingByReason: Readonly<Partial<Record<DeadLetterReason, number>>>;
  /** Messages of the topic that are not dead-letter/v1 letters. */
  readonly unreadable: readonly { readonly partition: number; readonly offset: string; readonly error: string }[];
  /** How many letters the selection matches; `samples` lists up to `limit` of them (as read), by partition and offset. */
  readonly matched: number;
  readonly samples: readonly DeadLetterSample[];
}

const PREVIEW_BYTES = 200;

function sampleOf(read: DeadLetterPosition & { readonly letter: DeadLetter }): DeadLetterSample {
  const { letter } = read;
  return {
    partition: read.partition,
    offset: read.offset,
    reason: letter.reason,
    detail: letter.detail,
    source: letter.source,
    failedAt: letter.failedAt,
    key: letter.key === null ? null : letter.key.toString('utf8'),
    valuePreview: letter.value === null ? null : letter.value.subarray(0, PREVIEW_BYTES).toString('utf8'),
    valueBytes: letter.value?.length ?? 0,
  };
}

const increment = (counts: Partial<Record<DeadLetterReason, number>>, reason: DeadLetterReason) => {
  counts[reason] = (counts[reason] ?? 0) + 1;
};

/** Reads every letter still in the topic without committing anything: counts, the replay group's progress, and the first `limit` matches. */
export async function inspectDeadLetters(stream: EventStream, options: DeadLetterTopicOptions & { readonly selection: DeadLetterSelection; readonly limit: number }): Promise<DeadLetterInspection> {
  const byReason: Partial<Record<DeadLetterReason, number>> = {};
  const pendingByReason: Partial<Record<DeadLetterReason, number>> = {};
  const unreadable: { partition: number; offset: string; error: string }[] = [];
  const samples: DeadLetterSample[] = [];
  let matched = 0;
  const partitions = await readDeadLetterTopic(stream, { ...options, fromCommitted: false }, (letters) => {
    for (const read of letters) {
      if ('unreadable' in read) {
        unreadable.push({ partition: read.partition, offset: read.offset, error: read.unreadable });
        continue;
      }
      increment(byReason, read.letter.reason);
      if (!read.replayed) increment(pendingByReason, read.letter.reason);
      if (selectsDeadLetter(options.selection, read, read.letter)) {
        matched += 1;
        if (samples.length < options.limit) samples.push(sampleOf(read));
      }
    }
  });
  // Batches arrive per partition in any order: sort the samples for a stable listing.
  samples.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
  return { topic: options.deadLetterTopic, replayGroupId: options.replayGroupId, partitions, byReason, pendingByReason, unreadable, matched, samples };
}

export interface DeadLetterReplay {
  readonly topic: string;
  readonly targetTopic: string;
  readonly replayGroupId: string;
  readonly dryRun: boolean;
  /** Letters read: those after the replay group's committed offsets, up to the end at the start (or the selection's last offset). */
  readonly read: number;
  /** Re-published (or, in a dry run, that would be), by reason. */
  readonly replayedByReason: Readonly<Partial<Record<DeadLetterReason, number>>>;
  readonly replayed: number;
  /** Read but left out by the selection: the group's offsets move past them, so this group will not replay them later. */
  readonly passedOver: number;
  /** Tombstones (no value) cannot be re-sent as they were: passed over. */
  readonly tombstones: number;
  /** Messages that are not dead-letter/v1 letters: passed over. */
  readonly unreadable: number;
  /** The replay group's committed offsets after the replay (unchanged by a dry run). */
  readonly committed: readonly CommitPosition[];
}

/**
 * Re-publishes the selected dead letters to the feature-events topic: original key, value bytes
 * and headers. The replay group (`deadLetterReplayGroup`) commits its offsets on the dead-letter
 * topic after each batch is sent, so a second replay resumes where this one stopped and never
 * re-sends a letter; letters that fail again are dead-lettered anew and wait for the next replay.
 * A crash between a send and its commit re-sends that batch once (at least once, as the speed
 * layer's redelivery de-duplication expects). `dryRun` reads the same letters and sends and commits nothing.
 */
export async function replayDeadLetters(
  stream: EventStream,
  options: DeadLetterTopicOptions & { readonly targetTopic: string; readonly selection: DeadLetterSelection; readonly dryRun: boolean },
): Promise<DeadLetterReplay> {
  const replayedByReason: Partial<Record<DeadLetterReason, number>> = {};
  const counts = { read: 0, replayed: 0, passedOver: 0, tombstones: 0, unreadable: 0 };
  const committed = new Map<number, string>();
  const producer = stream.createProducer();
  if (!options.dryRun) await producer.connect();
  try {
    const readOptions = { ...options, fromCommitted: true, narrowTo: options.selection, ...(options.dryRun ? {} : { commitAs: options.replayGroupId }) };
    const partitions = await readDeadLetterTopic(stream, readOptions, async (letters, commit) => {
      const messages: OutgoingMessage[] = [];
      for (const read of letters) {
        counts.read += 1;
        if ('unreadable' in read) {
          counts.unreadable += 1;
          continue;
        }
        if (!selectsDeadLetter(options.selection, read, read.letter)) {
          counts.passedOver += 1;
          continue;
        }
        const message = replayMessage(read.letter);
        if (message === null) {
          counts.tombstones += 1;
          continue;
        }
        messages.push(message);
        increment(replayedByReason, read.letter.reason);
      }
      counts.replayed += messages.length;
      const last = letters.at(-1);
      if (options.dryRun || last === undefined) return;
      if (messages.length > 0) await producer.send(options.targetTopic, messages);
      const next = (BigInt(last.offset) + 1n).toString();
      await commit([{ topic: options.deadLetterTopic, partition: last.partition, offset: next }]);
      committed.set(last.partition, next);
    });
    for (const { partition, replayedUpTo } of partitions) {
      if (!committed.has(partition) && replayedUpTo !== null) committed.set(partition, replayedUpTo);
    }
  } finally {
    if (!options.dryRun) await producer.disconnect();
  }
  return {
    topic: options.deadLetterTopic,
    targetTopic: options.targetTopic,
    replayGroupId: options.replayGroupId,
    dryRun: options.dryRun,
    ...counts,
    replayedByReason,
    committed: [...committed].sort(([a], [b]) => a - b).map(([partition, offset]) => ({ topic: options.deadLetterTopic, partition, offset })),
  };
}
