import { Kafka, PartitionAssigners, Partitioners, type RetryOptions } from 'kafkajs';
import { classifyKafkaError } from './classify-kafka-error';
import {
  type ConsumerOptions,
  type EventStream,
  type EventStreamAdmin,
  type EventStreamConsumer,
  type EventStreamProducer,
} from './event-stream';
import { type EventStreamConfig, type RetryConfig } from './event-stream-config';
import { KafkaJsAdmin } from './kafkajs-admin';
import { KafkaJsConsumer } from './kafkajs-consumer';
import { ExclusiveAssignment } from './kafkajs-exclusive-assigner';
import { KAFKAJS_LOG_LEVELS, kafkaJsLogCreator } from './kafkajs-log';
import { KafkaJsProducer } from './kafkajs-producer';

/**
 * kafkajs picks softer backoff defaults when NODE_ENV=test (as under jest); pinning factor and
 * multiplier keeps tests on the production backoff.
 */
export function toKafkaJsRetry({ initialRetryTimeMs, maxRetryTimeMs, retries }: RetryConfig): RetryOptions {
  return { initialRetryTime: initialRetryTimeMs, maxRetryTime: maxRetryTimeMs, retries, factor: 0.2, multiplier: 2 };
}

/** The event stream on kafkajs 2.x (Kafka protocol up to what brokers 3.x still accept). */
export class KafkaJsEventStream implements EventStream {
  private readonly kafka: Kafka;

  constructor(private readonly config: EventStreamConfig) {
    this.kafka = new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      connectionTimeout: config.connectionTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      retry: toKafkaJsRetry(config.retry),
      logLevel: KAFKAJS_LOG_LEVELS[config.logLevel],
      logCreator: kafkaJsLogCreator(config.log),
    });
  }

  createAdmin(): EventStreamAdmin {
    return new KafkaJsAdmin(this.kafka.admin({ retry: toKafkaJsRetry(this.config.retry) }), this.config.retry);
  }

  createProducer(): EventStreamProducer {
    return new KafkaJsProducer(() =>
      this.kafka.producer({
        // murmur2 as in the Java client: a key lands on the same partition whichever client wrote it.
        createPartitioner: Partitioners.DefaultPartitioner,
        allowAutoTopicCreation: false,
        retry: toKafkaJsRetry(this.config.retry),
      }),
    );
  }

  createConsumer({ groupId, autoOffsetReset = 'earliest', exclusive = false }: ConsumerOptions): EventStreamConsumer {
    try {
      const exclusiveAssignment = exclusive ? new ExclusiveAssignment() : undefined;
      const consumer = this.kafka.consumer({
        groupId,
        partitionAssigners: [exclusiveAssignment?.assigner ?? PartitionAssigners.roundRobin],
        sessionTimeout: this.config.sessionTimeoutMs,
        heartbeatInterval: this.config.heartbeatIntervalMs,
        maxWaitTimeInMs: this.config.fetchMaxWaitMs,
        allowAutoTopicCreation: false,
        retry: toKafkaJsRetry(this.config.retry),
      });
      if (exclusiveAssignment !== undefined) {
        consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
          exclusiveAssignment.recordJoin(payload.memberId, payload.memberAssignment);
        });
      }
      return new KafkaJsConsumer(consumer, { groupId, autoOffsetReset });
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'create consumer', groupId });
    }
  }
}
