import { type Consumer } from 'kafkajs';
import { classifyKafkaError } from './classify-kafka-error';
import {
  type AssignmentListener,
  type BatchHandler,
  type CommitPosition,
  type ConsumerCrashListener,
  type EventStreamConsumer,
  type RemoveListener,
  type TopicPartitions,
} from './event-stream';
import { ConsumerNotRunningError, EventStreamRequestError } from './event-stream-errors';
import { toConsumedMessage, toTopicPartitions } from './kafkajs-messages';

interface KafkaJsConsumerOptions {
  readonly groupId: string;
  readonly autoOffsetReset: 'earliest' | 'latest';
}

const NOT_IN_GROUP = 'the consumer is not in its group (not run yet, stopped, or restarting after a crash)';

function describeTopics(partitions: readonly { readonly topic: string }[]): string {
  return [...new Set(partitions.map(({ topic }) => topic))].join(', ');
}

export class KafkaJsConsumer implements EventStreamConsumer {
  private started = false;
  /**
   * True from a group join until stop() or a crash. kafkajs silently drops commits outside that
   * window, so `commit()` checks it and says so instead.
   */
  private joined = false;
  private readonly assignmentListeners = new Set<AssignmentListener>();
  private readonly crashListeners = new Set<ConsumerCrashListener>();

  constructor(
    private readonly consumer: Consumer,
    private readonly options: KafkaJsConsumerOptions,
  ) {}

  async connect(): Promise<void> {
    try {
      await this.consumer.connect();
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'connect consumer', groupId: this.options.groupId });
    }
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    try {
      await this.consumer.subscribe({
        topics: [...topics],
        fromBeginning: this.options.autoOffsetReset === 'earliest',
      });
    } catch (error) {
      const { groupId } = this.options;
      throw classifyKafkaError(error, { operation: 'subscribe', topic: topics.join(', '), groupId });
    }
  }

  async run(handler: BatchHandler): Promise<readonly TopicPartitions[]> {
    const { groupId } = this.options;
    if (this.started) {
      throw new EventStreamRequestError('the consumer is already running', { operation: 'run consumer', groupId });
    }
    this.started = true;
    const firstAssignment = this.followGroupMembership();
    try {
      const [, assignment] = await Promise.all([
        this.consumer.run({
          autoCommit: false,
          // Returning from the handler moves the in-memory position past the batch; committing is the caller's.
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            const { topic, partition } = batch;
            const messages = batch.messages.map((message) => toConsumedMessage(topic, partition, message));
            await handler({ topic, partition, messages });
          },
        }),
        firstAssignment,
      ]);
      return assignment;
    } catch (error) {
      // Cancels the restart kafkajs may have scheduled; the join failure is the error to report.
      await this.consumer.disconnect().catch(() => undefined);
      throw error;
    }
  }

  /** Tracks joins and crashes; resolves with the first assignment, rejects if the first join fails. */
  private followGroupMembership(): Promise<readonly TopicPartitions[]> {
    const { groupId } = this.options;
    let hasJoinedOnce = false;
    return new Promise((resolve, reject) => {
      this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
        this.joined = true;
        hasJoinedOnce = true;
        const assignment = toTopicPartitions(payload.memberAssignment);
        resolve(assignment);
        for (const listener of this.assignmentListeners) listener(assignment);
      });
      this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
        this.joined = false;
        const error = classifyKafkaError(payload.error, { operation: 'consume', groupId });
        if (!hasJoinedOnce) {
          reject(error);
          return;
        }
        for (const listener of this.crashListeners) listener(error, payload.restart);
      });
    });
  }

  async commit(positions: readonly CommitPosition[]): Promise<void> {
    if (positions.length === 0) return;
    const context = { operation: 'commit offsets', topic: describeTopics(positions), groupId: this.options.groupId };
    if (!this.joined) {
      throw new ConsumerNotRunningError(NOT_IN_GROUP, context);
    }
    try {
      await this.consumer.commitOffsets(
        positions.map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      );
    } catch (error) {
      throw classifyKafkaError(error, context);
    }
  }

  pause(partitions: readonly TopicPartitions[]): void {
    this.changeFetching('pause', partitions);
  }

  resume(partitions: readonly TopicPartitions[]): void {
    this.changeFetching('resume', partitions);
  }

  seek({ topic, partition, offset }: CommitPosition): void {
    const context = { operation: 'seek', topic, groupId: this.options.groupId };
    if (!this.joined) {
      throw new ConsumerNotRunningError(NOT_IN_GROUP, context);
    }
    try {
      // Without auto-commit kafkajs only moves the in-memory position (applied at the next fetch).
      this.consumer.seek({ topic, partition, offset });
    } catch (error) {
      throw classifyKafkaError(error, context);
    }
  }

  private changeFetching(operation: 'pause' | 'resume', partitions: readonly TopicPartitions[]): void {
    const context = { operation, topic: describeTopics(partitions), groupId: this.options.groupId };
    if (!this.joined) {
      throw new ConsumerNotRunningError(NOT_IN_GROUP, context);
    }
    try {
      this.consumer[operation](
        partitions.map(({ topic, partitions: numbers }) => ({ topic, partitions: [...numbers] })),
      );
    } catch (error) {
      throw classifyKafkaError(error, context);
    }
  }

  onAssignment(listener: AssignmentListener): RemoveListener {
    this.assignmentListeners.add(listener);
    return () => this.assignmentListeners.delete(listener);
  }

  onCrash(listener: ConsumerCrashListener): RemoveListener {
    this.crashListeners.add(listener);
    return () => this.crashListeners.delete(listener);
  }

  async stop(): Promise<void> {
    this.joined = false;
    try {
      // kafkajs's disconnect = stop (wait for the batch in flight, leave the group) + close connections.
      await this.consumer.disconnect();
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'stop consumer', groupId: this.options.groupId });
    }
  }
}
