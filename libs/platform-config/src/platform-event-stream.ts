import { createEventStreamConfig, type EventStream, KafkaJsEventStream, pinoEventStreamLog } from '@platform/event-stream';
import { type Logger } from 'pino';
import { type PlatformConfig } from './platform-config';

/** The configured Kafka (KAFKA_BROKERS), or null in embedded mode: one rule for services and CLIs. */
export function platformEventStream(config: PlatformConfig, log: Logger): EventStream | null {
  if (config.kafka === undefined) return null;
  return new KafkaJsEventStream(createEventStreamConfig({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, log: pinoEventStreamLog(log) }));
}
