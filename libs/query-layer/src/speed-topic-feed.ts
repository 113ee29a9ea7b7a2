import { setTimeout as sleep } from 'node:timers/promises';
import { type EpochMs, type SpeedPrediction } from '@platform/domain';
import { type ConsumedBatch, type EventStream, type EventStreamConsumer, type TopicPartitions } from '@platform/event-stream';
import { speedRowOfMessage } from './speed-prediction-message';
import { type QueryLog } from './serving-state-sync';

export interface SpeedTopicFeedOptions {
  /** Model → the speed layer's output topic for it (SPEED_OUTPUT_TOPICS). */
  readonly topicsByModel: ReadonlyMap<string, string>;
  /** A group of this process alone: every replica must read every message. */
  readonly groupId: string;
  /** Wait before replacing a consumer that stopped for good (or could not start). */
  readonly restartDelayMs: number;
  /** A reader that took nothing for this long is dropped (its next take reports a gap). */
  readonly readerIdleMs: number;
}

/** One serving state's view of its model's topic: the rows delivered since its last take. */
export class SpeedTopicReader {
  /** @internal */ rows: SpeedPrediction[] = [];
  /** @internal The feed position this reader's buffer is continuous in; null when it is not buffered. */
  epoch: number | null = null;
  /** @internal */ lastTakeAt: EpochMs = 0;

  constructor(readonly model: string) {}
}

/**
 * Consumes the speed layer's output topics for the query layer: one consumer in a group of this
 * process alone, never committing. After every join it reads the topics' log ends and seeks there
 * before it calls itself live, so a reader that registers while live (and then reads ClickHouse)
 * misses nothing: a message before the ends was written to ClickHouse before the read (the speed
 * layer publishes after its write), one after them is delivered. A crash, a rejoin, a failed start
 * or an idle reader breaks the continuity; the reader is told (`take` returns null) and reads
 * ClickHouse again. Malformed messages are counted and logged, never delivered.
 */
export class SpeedTopicFeed {
  private readonly modelsByTopic: ReadonlyMap<string, string>;
  /** Readers buffered in the live position, per model. */
  private readonly readers = new Map<string, Set<SpeedTopicReader>>();
  private readonly stopping = new AbortController();
  private liveEpoch: number | null = null;
  private epochs = 0;
  private running: Promise<void> | undefined;
  /** Whether the last transition logged was to live (null before the first). */
  private loggedLive: boolean | null = null;
  private malformed = 0;

  constructor(
    private readonly stream: EventStream,
    private readonly options: SpeedTopicFeedOptions,
    private readonly log: QueryLog,
    private readonly now: () => EpochMs = Date.now,
  ) {
    this.modelsByTopic = new Map([...options.topicsByModel].map(([model, topic]) => [topic, model]));
  }

  /** True while positioned: readers get every message published from here on. */
  get live(): boolean {
    return this.liveEpoch !== null;
  }

  get malformedMessages(): number {
    return this.malformed;
  }

  /** A reader for a new serving state of `model`, or undefined when the model has no output topic. */
  reader(model: string): SpeedTopicReader | undefined {
    return this.options.topicsByModel.has(model) ? new SpeedTopicReader(model) : undefined;
  }

  /**
   * The rows delivered to this reader since its last take, or null when it may have missed some
   * since then (first take, feed down or repositioned, reader idle): read ClickHouse then. A null
   * while live also (re)starts buffering for the reader, so a read after it misses nothing.
   */
  take(reader: SpeedTopicReader): SpeedPrediction[] | null {
    reader.lastTakeAt = this.now();
    if (this.liveEpoch === null) return null;
    const buffered = this.readers.get(reader.model) ?? new Set<SpeedTopicReader>();
    this.readers.set(reader.model, buffered);
    if (reader.epoch !== this.liveEpoch || !buffered.has(reader)) {
      reader.epoch = this.liveEpoch;
      reader.rows = [];
      buffered.add(reader);
      return null;
    }
    const rows = reader.rows;
    reader.rows = [];
    return rows;
  }

  /** Starts consuming in the background; resolves once live or once the first attempt failed. */
  start(): Promise<void> {
    return new Promise((firstAttemptDone) => {
      this.running = this.keepConsuming(firstAttemptDone);
    });
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private async keepConsuming(firstAttemptDone: () => void): Promise<void> {
    const { signal } = this.stopping;
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    while (!signal.aborted) {
      let consumer: EventStreamConsumer | undefined;
      try {
        consumer = this.stream.createConsumer({ groupId: this.options.groupId, autoOffsetReset: 'latest' });
        await this.consumeUntilEnded(consumer, firstAttemptDone, stopped);
      } catch (error) {
        this.goDown(error, 'the consumer could not start');
        firstAttemptDone();
      }
      this.goDown(undefined, 'the consumer is stopping');
      await consumer?.stop().catch((error: unknown) => this.log.warn({ err: error }, 'speed topics: stopping the consumer failed'));
      if (!signal.aborted) await sleep(this.options.restartDelayMs, undefined, { signal }).catch(() => undefined);
    }
  }

  /** Joins, positions, and returns once the consumer stopped for good or the feed is stopping. */
  private async consumeUntilEnded(consumer: EventStreamConsumer, firstAttemptDone: () => void, stopped: Promise<void>): Promise<void> {
    let endedForGood: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (endedForGood = resolve));
    let positioning: Promise<void> = Promise.resolve();
    consumer.onAssignment((assignment) => {
      positioning = this.position(consumer, assignment).catch((error: unknown) => {
        this.goDown(error, 'positioning on the log ends failed');
        endedForGood();
      });
    });
    consumer.onCrash((error, restarting) => {
      this.goDown(error, restarting ? 'the consumer crashed and is rejoining' : 'the consumer stopped');
      if (!restarting) endedForGood();
    });
    await consumer.connect();
    await consumer.subscribe([...this.options.topicsByModel.values()]);
    await consumer.run((batch) => this.deliver(batch));
    await positioning;
    firstAttemptDone();
    await Promise.race([ended, stopped]);
  }

  /** Seeks every assigned partition to the log end read now, then goes live in the same tick. */
  private async position(consumer: EventStreamConsumer, assignment: readonly TopicPartitions[]): Promise<void> {
    this.goDown(undefined, 'the consumer joined and is positioning');
    const epoch = this.epochs;
    const admin = this.stream.createAdmin();
    await admin.connect();
    try {
      const ends = await Promise.all(assignment.map(async ({ topic }) => ({ topic, ends: await admin.fetchTopicOffsets(topic) })));
      if (epoch !== this.epochs || this.stopping.signal.aborted) return;
      for (const { topic, ends: offsets } of ends) {
        const partitions = assignment.find((entry) => entry.topic === topic)!.partitions;
        for (const { partition, end } of offsets) if (partitions.includes(partition)) consumer.seek({ topic, partition, offset: end });
      }
      this.liveEpoch = epoch;
      if (this.loggedLive !== true) {
        this.loggedLive = true;
        this.log.info({ topics: [...this.modelsByTopic.keys()], groupId: this.options.groupId }, 'speed topics: live; speed rows come from the output topics');
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Every reader loses continuity and a positioning under way is void; logged once per transition. */
  private goDown(error: unknown, reason: string): void {
    this.epochs++;
    this.liveEpoch = null;
    this.readers.clear();
    if (error === undefined || this.loggedLive === false) return;
    this.loggedLive = false;
    this.log.warn({ err: error, groupId: this.options.groupId }, `speed topics: unavailable (${reason}); the tails poll ClickHouse until the consumer is back`);
  }

  private deliver(batch: ConsumedBatch): Promise<void> {
    // Before the seek (positioning) nothing is buffered: readers read ClickHouse once live.
    if (this.liveEpoch === null) return Promise.resolve();
    const model = this.modelsByTopic.get(batch.topic);
    if (model === undefined) return Promise.resolve();
    const readers = this.readers.get(model) ?? new Set<SpeedTopicReader>();
    const idleBefore = this.now() - this.options.readerIdleMs;
    for (const message of batch.messages) {
      const parsed = speedRowOfMessage(message, model);
      if ('problem' in parsed) {
        this.malformed++;
        this.log.warn(
          { topic: message.topic, partition: message.partition, offset: message.offset, problem: parsed.problem },
          `speed topics: skipped a malformed message at ${message.topic}/${message.partition}@${message.offset}: ${parsed.problem}`,
        );
        continue;
      }
      for (const reader of readers) {
        if (reader.lastTakeAt < idleBefore) {
          // A state no tail polls any more (replaced by a publish): stop buffering for it.
          readers.delete(reader);
          reader.rows = [];
        } else {
          reader.rows.push(parsed.row);
        }
      }
    }
    return Promise.resolve();
  }
}
