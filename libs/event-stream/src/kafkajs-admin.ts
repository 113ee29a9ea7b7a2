import { setTimeout as sleep } from 'node:timers/promises';
import { type Admin } from 'kafkajs';
import { classifyKafkaError } from './classify-kafka-error';
import { type CommittedOffset, type EventStreamAdmin, type PartitionOffsets, type TopicSpec } from './event-stream';
import { type RetryConfig } from './event-stream-config';
import { type EventStreamErrorContext, EventStreamUnavailableError } from './event-stream-errors';

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
    try {
      // Asking only for the missing ones: the broker's "already exists" answer is logged as an error
      // by kafkajs, and a request with any existing topic returns without waiting for the new
      // topics' leaders (a send right after could then fail).
      const existing = new Set(await this.admin.listTopics());
      const missing = topics.filter(({ topic }) => !existing.has(topic));
      if (missing.length === 0) return;
      await this.admin.createTopics({
        topics: missing.map(({ topic, partitions, retentionMs }) => ({
          topic,
          numPartitions: partitions,
          ...(retentionMs === undefined ? {} : { configEntries: [{ name: 'retention.ms', value: String(retentionMs) }] }),
        })),
        waitForLeaders: true,
      });
    } catch (error) {
      throw classifyKafkaError(error, context);
    }
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
