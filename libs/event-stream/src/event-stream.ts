import { type PlatformError } from '@platform/domain';

/**
 * The platform's port to a Kafka-compatible event stream. Nothing here names a client library:
 * kafkajs is one adapter (`KafkaJsEventStream`), and a later client is another.
 *
 * Offsets are int64 on the wire and travel as decimal strings so they stay exact beyond 2^53.
 * Every method rejects with an `EventStreamError` (see event-stream-errors.ts) whose `retriable`
 * says whether the same call may succeed later.
 */

/** Creates clients; creating one does no I/O: call `connect()` (or `run()`) when ready. */
export interface EventStream {
  createAdmin(): EventStreamAdmin;
  createProducer(): EventStreamProducer;
  createConsumer(options: ConsumerOptions): EventStreamConsumer;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
  /** How long the broker keeps messages (`retention.ms`); the broker's default when absent. */
  readonly retentionMs?: number;
}

/** The committed position of one partition for a consumer group. */
export interface CommittedOffset {
  readonly partition: number;
  /** The next offset the group will read, or null when the group never committed here. */
  readonly offset: string | null;
}

/** The bounds of one partition's log. */
export interface PartitionOffsets {
  readonly partition: number;
  /** The first offset still in the log (retention moves it on). */
  readonly earliest: string;
  /** The high watermark: the offset the next fully replicated message gets (consumers read up to it). */
  readonly end: string;
}

export interface EventStreamAdmin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /** Creates the topics that do not exist yet and waits until they have leaders; an existing topic is left as it is. */
  createTopics(topics: readonly TopicSpec[]): Promise<void>;
  /** Rejects with `TopicNotFoundError` when one of them does not exist. */
  deleteTopics(topics: readonly string[]): Promise<void>;
  /** One entry per partition of the topic, in partition order. */
  fetchCommittedOffsets(groupId: string, topic: string): Promise<readonly CommittedOffset[]>;
  /** One entry per partition of the topic, in partition order. Rejects with `TopicNotFoundError` for a missing topic. */
  fetchTopicOffsets(topic: string): Promise<readonly PartitionOffsets[]>;
}

export interface OutgoingMessage {
  /** Messages with the same key go to the same partition (for us: key = entity id). */
  readonly key: string | Buffer | null;
  readonly value: Buffer | string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface EventStreamProducer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  /**
   * Resolves once every in-sync replica has the messages. Topics are never created implicitly:
   * an unknown topic rejects with `TopicNotFoundError`.
   */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

export interface ConsumedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  /** Null for a tombstone (a record written with no value). */
  readonly value: Buffer | null;
  /** UTF-8 decoded; for a header key repeated on one record the last value wins. */
  readonly headers: Readonly<Record<string, string>>;
  /** Epoch milliseconds: the producer's create time, or the broker's append time if the topic says so. */
  readonly timestamp: number;
}

/** Consecutive messages of one partition, in offset order. */
export interface ConsumedBatch {
  readonly topic: string;
  readonly partition: number;
  readonly messages: readonly ConsumedMessage[];
}

/**
 * Called for one batch at a time. Returning moves this member's in-memory position past the batch
 * but commits nothing; throwing redelivers the batch (with the configured backoff), and once those
 * retries run out the consumer restarts from the committed offsets. The handler must return within
 * `sessionTimeoutMs`: slow work is handed off (and the partition paused) rather than awaited here.
 */
export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

export interface TopicPartitions {
  readonly topic: string;
  readonly partitions: readonly number[];
}

/** Where a group resumes a partition: the offset of the next message to read (last processed + 1). */
export interface CommitPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

export interface ConsumerOptions {
  readonly groupId: string;
  /**
   * Where to start a partition the group has no committed offset for (or whose committed offset
   * has been deleted by retention). Default 'earliest': a new group never skips events.
   */
  readonly autoOffsetReset?: 'earliest' | 'latest';
  /**
   * At most one member of the group is assigned partitions (all of them), and it keeps them as long
   * as it stays in the group: a newcomer never takes them over. When the holder leaves or its
   * session expires, the longest-waiting member gets them. For leases, e.g. one runner per model on
   * a one-partition topic. Every member of the group must set it: the broker refuses a member whose
   * assignment strategy differs from the group's. Default false (partitions spread over members).
   */
  readonly exclusive?: boolean;
}

/**
 * Why the consumer stopped on its own (a handler's own `PlatformError` comes through unchanged),
 * and whether it is rejoining the group by itself.
 */
export type ConsumerCrashListener = (error: PlatformError, restarting: boolean) => void;
export type AssignmentListener = (assignment: readonly TopicPartitions[]) => void;
export type RemoveListener = () => void;

/**
 * A member of a consumer group. Offsets are committed only by `commit()`, never automatically, so
 * a caller commits exactly what it has durably written.
 */
export interface EventStreamConsumer {
  connect(): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  /**
   * Joins the group and starts calling the handler. Resolves with this member's first assignment
   * (possibly empty when the group has more members than partitions); rejects, and stops the
   * consumer, when joining fails.
   */
  run(handler: BatchHandler): Promise<readonly TopicPartitions[]>;
  /** Rejects with `ConsumerNotRunningError` before `run()` has joined or after `stop()` or a crash. */
  commit(positions: readonly CommitPosition[]): Promise<void>;
  /** Stops fetching these partitions until `resume()`; the batch being handled completes. */
  pause(partitions: readonly TopicPartitions[]): void;
  resume(partitions: readonly TopicPartitions[]): void;
  /**
   * Moves this member's position on one of its assigned partitions: the next message handed over
   * is at `offset`; commits nothing. For a member that must see everything after a point it read
   * itself (e.g. the log ends taken before a snapshot), which a reset to 'latest', resolved at some
   * later fetch, does not promise. A rejoin resets positions again; re-seek from `onAssignment`.
   */
  seek(position: CommitPosition): void;
  /** Called after every (re)join with this member's new assignment. */
  onAssignment(listener: AssignmentListener): RemoveListener;
  /** Called when the consumer crashed after joining; a restart rejoins the group, without pauses. */
  onCrash(listener: ConsumerCrashListener): RemoveListener;
  /**
   * Waits for the batch in flight, leaves the group (its partitions move to other members at
   * once, not after the session timeout) and disconnects. Commits nothing. Final.
   */
  stop(): Promise<void>;
}
