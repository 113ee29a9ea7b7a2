import {
  type AssignmentListener,
  type BatchHandler,
  type CommitPosition,
  type CommittedOffset,
  type ConsumedMessage,
  type ConsumerOptions,
  type EventStream,
  type EventStreamAdmin,
  type EventStreamConsumer,
  type EventStreamProducer,
  type OutgoingMessage,
  type PartitionOffsets,
  type RemoveListener,
  type TopicPartitions,
  type TopicSpec,
} from './event-stream';
import { ConsumerNotRunningError, EventStreamRequestError, TopicNotFoundError } from './event-stream-errors';

/** A promise and the function that settles it (Node 20 has no Promise.withResolvers). */
function signal(): { readonly promise: Promise<void>; readonly resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((settle) => (resolve = settle));
  return { promise, resolve };
}

/** The port's methods reject rather than throw: runs `work` now, its failure as a rejection. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** Messages handed to a handler at once, at most (a fetch's worth). */
const MAX_BATCH_MESSAGES = 1_000;

interface Group {
  /** Topic → partition → the next offset the group reads. */
  readonly committed: Map<string, Map<number, number>>;
  member: InProcessConsumer | undefined;
  readonly commitWaiters: Set<() => void>;
}

/**
 * The event stream port in memory, for the embedded single-process mode (no Kafka): topics with
 * partitions (messages keyed to a partition by a hash of the key), consumer groups with committed
 * offsets, one active member per group (a second member is refused). Nothing survives the process:
 * producers that need durability wait for the consumer's commit (`untilCommitted`), which follows
 * the writes. Not a broker: no retention, no replication, no rebalancing.
 */
export class InProcessEventStream implements EventStream {
  private readonly topics = new Map<string, ConsumedMessage[][]>();
  private readonly groups = new Map<string, Group>();
  /** Settles at the next append; replaced by a fresh one each time. */
  private appended = signal();

  createAdmin(): EventStreamAdmin {
    return {
      connect: () => settle(() => undefined),
      disconnect: () => settle(() => undefined),
      createTopics: (specs) => settle(() => this.createTopics(specs)),
      deleteTopics: (names) => settle(() => this.deleteTopics(names)),
      fetchCommittedOffsets: (groupId, topic) => settle(() => this.committedOffsets(groupId, topic)),
      fetchTopicOffsets: (topic) => settle(() => this.topicOffsets(topic)),
    };
  }

  createProducer(): EventStreamProducer {
    return {
      connect: () => settle(() => undefined),
      disconnect: () => settle(() => undefined),
      send: (topic, messages) => settle(() => void this.append(topic, messages)),
    };
  }

  createConsumer(options: ConsumerOptions): EventStreamConsumer {
    return new InProcessConsumer(this, options.groupId);
  }

  /**
   * Sends, then resolves once `groupId` has committed past every message sent: they were
   * processed (e.g. written to the store), the only durability this stream has.
   */
  async sendUntilCommitted(groupId: string, topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    const positions = this.append(topic, messages);
    const group = this.group(groupId);
    const done = () => positions.every(({ partition, offset }) => (group.committed.get(topic)?.get(partition) ?? 0) >= Number(offset));
    while (!done()) await new Promise<void>((resolve) => group.commitWaiters.add(resolve));
  }

  /** @internal */
  partitionsOf(topic: string, operation: string): ConsumedMessage[][] {
    const partitions = this.topics.get(topic);
    if (partitions === undefined) throw new TopicNotFoundError('no such topic', { operation, topic });
    return partitions;
  }

  /** @internal */
  group(groupId: string): Group {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = { committed: new Map(), member: undefined, commitWaiters: new Set() };
      this.groups.set(groupId, group);
    }
    return group;
  }

  /** @internal Resolves at the next append. */
  nextAppend(): Promise<void> {
    return this.appended.promise;
  }

  /** @internal */
  commit(groupId: string, positions: readonly CommitPosition[]): void {
    const group = this.group(groupId);
    for (const { topic, partition, offset } of positions) {
      const partitions = group.committed.get(topic) ?? new Map<number, number>();
      partitions.set(partition, Number(offset));
      group.committed.set(topic, partitions);
    }
    const waiters = [...group.commitWaiters];
    group.commitWaiters.clear();
    for (const wake of waiters) wake();
  }

  private createTopics(specs: readonly TopicSpec[]): void {
    for (const { topic, partitions } of specs) {
      if (!this.topics.has(topic)) this.topics.set(topic, Array.from({ length: partitions }, () => []));
    }
  }

  private deleteTopics(names: readonly string[]): void {
    for (const topic of names) this.partitionsOf(topic, 'delete topics');
    for (const topic of names) this.topics.delete(topic);
  }

  private committedOffsets(groupId: string, topic: string): CommittedOffset[] {
    const committed = this.groups.get(groupId)?.committed.get(topic);
    return this.partitionsOf(topic, 'fetch committed offsets').map((_, partition) => {
      const offset = committed?.get(partition);
      return { partition, offset: offset === undefined ? null : String(offset) };
    });
  }

  private topicOffsets(topic: string): PartitionOffsets[] {
    return this.partitionsOf(topic, 'fetch topic offsets').map((log, partition) => ({ partition, earliest: '0', end: String(log.length) }));
  }

  /** Appends; returns, per partition written, the offset just past its last new message. */
  private append(topic: string, messages: readonly OutgoingMessage[]): CommitPosition[] {
    const partitions = this.partitionsOf(topic, 'send');
    const timestamp = Date.now();
    const ends = new Map<number, number>();
    messages.forEach((message, index) => {
      const key = message.key === null ? null : Buffer.from(message.key);
      const partition = key === null ? index % partitions.length : keyHash(key) % partitions.length;
      const log = partitions[partition]!;
      log.push({ topic, partition, offset: String(log.length), key, value: Buffer.from(message.value), headers: { ...message.headers }, timestamp });
      ends.set(partition, log.length);
    });
    const appended = this.appended;
    this.appended = signal();
    appended.resolve();
    return [...ends].map(([partition, end]) => ({ topic, partition, offset: String(end) }));
  }
}

/** FNV-1a over the key bytes: a stable spread of keys over partitions (not Kafka's murmur2). */
function keyHash(key: Buffer): number {
  let hash = 0x811c9dc5;
  for (const byte of key) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

class InProcessConsumer implements EventStreamConsumer {
  private topics: readonly string[] = [];
  private assignment: TopicPartitions[] = [];
  private readonly positions = new Map<string, number>();
  private readonly paused = new Set<string>();
  private readonly assignmentListeners = new Set<AssignmentListener>();
  private readonly stopped = signal();
  private stopping = false;
  private loop: Promise<void> | undefined;
  private running = false;

  constructor(
    private readonly stream: InProcessEventStream,
    private readonly groupId: string,
  ) {}

  connect(): Promise<void> {
    return Promise.resolve();
  }

  subscribe(topics: readonly string[]): Promise<void> {
    return settle(() => {
      for (const topic of topics) this.stream.partitionsOf(topic, 'subscribe');
      this.topics = [...topics];
    });
  }

  run(handler: BatchHandler): Promise<readonly TopicPartitions[]> {
    const group = this.stream.group(this.groupId);
    if (group.member !== undefined) {
      return Promise.reject(new EventStreamRequestError('the in-process stream has one member per group', { operation: 'run consumer', groupId: this.groupId }));
    }
    group.member = this;
    this.running = true;
    this.assignment = this.topics.map((topic) => ({ topic, partitions: this.stream.partitionsOf(topic, 'run consumer').map((_, partition) => partition) }));
    for (const { topic, partitions } of this.assignment) {
      for (const partition of partitions) this.positions.set(`${topic}/${partition}`, group.committed.get(topic)?.get(partition) ?? 0);
    }
    for (const listener of this.assignmentListeners) listener(this.assignment);
    this.loop = this.deliver(handler);
    return Promise.resolve(this.assignment);
  }

  commit(positions: readonly CommitPosition[]): Promise<void> {
    if (!this.running) return Promise.reject(new ConsumerNotRunningError('the consumer is not running', { operation: 'commit offsets', groupId: this.groupId }));
    this.stream.commit(this.groupId, positions);
    return Promise.resolve();
  }

  pause(partitions: readonly TopicPartitions[]): void {
    for (const { topic, partitions: numbers } of partitions) for (const partition of numbers) this.paused.add(`${topic}/${partition}`);
  }

  resume(partitions: readonly TopicPartitions[]): void {
    for (const { topic, partitions: numbers } of partitions) for (const partition of numbers) this.paused.delete(`${topic}/${partition}`);
  }

  seek({ topic, partition, offset }: CommitPosition): void {
    const context = { operation: 'seek', topic, groupId: this.groupId };
    if (!this.running) throw new ConsumerNotRunningError('the consumer is not running', context);
    const key = `${topic}/${partition}`;
    if (!this.positions.has(key)) throw new EventStreamRequestError(`partition ${partition} is not assigned to this member`, context);
    this.positions.set(key, Number(offset));
  }

  onAssignment(listener: AssignmentListener): RemoveListener {
    this.assignmentListeners.add(listener);
    return () => this.assignmentListeners.delete(listener);
  }

  onCrash(): RemoveListener {
    // Nothing between this member and the log can fail on its own.
    return () => undefined;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.stopped.resolve();
    await this.loop;
    this.running = false;
    const group = this.stream.group(this.groupId);
    if (group.member === this) group.member = undefined;
  }

  /** Hands each partition's new messages to the handler, one batch at a time, until stopped. */
  private async deliver(handler: BatchHandler): Promise<void> {
    while (!this.stopping) {
      // Taken before looking, so an append while a batch is handled is not missed.
      const appended = this.stream.nextAppend();
      let delivered = false;
      for (const { topic, partitions } of this.assignment) {
        for (const partition of partitions) {
          const key = `${topic}/${partition}`;
          if (this.paused.has(key) || this.stopping) continue;
          const log = this.stream.partitionsOf(topic, 'fetch')[partition]!;
          const position = this.positions.get(key) ?? 0;
          if (position >= log.length) continue;
          const messages = log.slice(position, position + MAX_BATCH_MESSAGES);
          await handler({ topic, partition, messages });
          // A seek during the handler wins over the position the batch would have moved to.
          if (this.positions.get(key) === position) this.positions.set(key, position + messages.length);
          delivered = true;
        }
      }
      // Paused partitions with messages left are looked at again on the next append or soon after.
      if (!delivered) await Promise.race([appended, this.stopped.promise, new Promise((resolve) => setTimeout(resolve, 100))]);
    }
  }
}
