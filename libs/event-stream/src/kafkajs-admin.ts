import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin } from 'kafkajs';
import { classifyKafkaError } from './classify-kafka-error';
import { type CommittedOffset, type EventStreamAdmin, type PartitionOffsets, type TopicSpec } from './event-stream';
import { type RetryConfig } from './event-stream-config';
import { type EventStreamError, type EventStreamErrorContext, EventStreamUnavailableError, TopicNotFoundError } from './event-stream-errors';

export class KafkaJsAdmin implements EventStreamAdmin {
  constructor(
    private readonly admin: Admin,
    private readonly retry: RetryConfig,
  ) {}

  async connect(): Promise<void> {
    try {
      await this.admin.connect();
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'connect admin' });
    }
  }

  async disconnect(): Promise<void> {
    try {
      await this.admin.disconnect();
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'disconnect admin' });
    }
  }

  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    const context = { operation: 'create topics', topic: topics.map(({ topic }) => topic).join(', ') };
    // Asking only for the missing ones: the broker's "already exists" answer is logged as an error by kafkajs.
    let missing: readonly TopicSpec[];
    try {
      const existing = new Set(await this.admin.listTopics());
      missing = topics.filter(({ topic }) => !existing.has(topic));
      if (missing.length === 0) return;
      await this.admin.createTopics({
        topics: missing.map(({ topic, partitions, retentionMs }) => ({
          topic,
          numPartitions: partitions,
          ...(retentionMs === undefined ? {} : { configEntries: [{ name: 'retention.ms', value: String(retentionMs) }] }),
        })),
        waitForLeaders: false,
      });
    } catch (error) {
      throw classifyKafkaError(error, context);
    }
    await this.waitForLeaders(missing.map(({ topic }) => topic), context);
  }

  async deleteTopics(topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    try {
      await this.admin.deleteTopics({ topics: [...topics] });
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'delete topics', topic: topics.join(', ') });
    }
  }

  async fetchCommittedOffsets(groupId: string, topic: string): Promise<readonly CommittedOffset[]> {
    const response = await this.retryingRetriable({ operation: 'fetch committed offsets', topic, groupId }, () =>
      this.admin.fetchOffsets({ groupId, topics: [topic] }),
    );
    const partitions = response.find((entry) => entry.topic === topic)?.partitions ?? [];
    return partitions
      .map(({ partition, offset }) => ({
        partition,
        // Kafka answers -1 for a partition the group has never committed.
        offset: offset.startsWith('-') ? null : offset,
      }))
      .sort((a, b) => a.partition - b.partition);
  }

  async fetchTopicOffsets(topic: string): Promise<readonly PartitionOffsets[]> {
    try {
      // kafkajs retries this call itself, on the same backoff.
      const partitions = await this.admin.fetchTopicOffsets(topic);
      return partitions.map(({ partition, low, high }) => ({ partition, earliest: low, end: high })).sort((a, b) => a.partition - b.partition);
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'fetch topic offsets', topic });
    }
  }

  /**
   * Until every partition of the topics has a leader, so a send right after lands. kafkajs's own wait
   * (`waitForLeaders`) retries only LEADER_NOT_AVAILABLE, but a KRaft broker answers a topic created
   * a moment ago with UNKNOWN_TOPIC_OR_PARTITION until its metadata catches up, which kafkajs passed
   * on as a failed create. Both answers are waited out on the client's backoff.
   */
  private async waitForLeaders(topics: readonly string[], context: Omit<EventStreamErrorContext, 'kafkaErrorType'>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let notYet: EventStreamError;
      try {
        const { topics: metadata } = await this.admin.fetchTopicMetadata({ topics: [...topics] });
        const leaderless = metadata.filter(({ partitions }) => partitions.length === 0 || partitions.some(({ leader }) => leader < 0));
        if (leaderless.length === 0) return;
        notYet = new EventStreamUnavailableError(`no leader yet for a partition of ${leaderless.map(({ name }) => name).join(', ')}`, context);
      } catch (error) {
        const classified = classifyKafkaError(error, context);
        if (!(classified instanceof TopicNotFoundError || classified instanceof EventStreamUnavailableError)) throw classified;
        notYet = classified;
      }
      if (attempt >= this.retry.retries) throw notYet;
      await sleep(Math.min(this.retry.maxRetryTimeMs, this.retry.initialRetryTimeMs * 2 ** attempt));
    }
  }

  /**
   * kafkajs's admin answers an offset fetch with the broker's first error, retriable or not (e.g.
   * "the coordinator is loading" just after a broker starts), unlike its other calls. The read
   * changes nothing, so a retriable failure is tried again on the client's backoff.
   */
  private async retryingRetriable<T>(context: Omit<EventStreamErrorContext, 'kafkaErrorType'>, call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const classified = classifyKafkaError(error, context);
        if (!(classified instanceof EventStreamUnavailableError) || attempt >= this.retry.retries) throw classified;
        await sleep(Math.min(this.retry.maxRetryTimeMs, this.retry.initialRetryTimeMs * 2 ** attempt));
      }
    }
  }
}
