import { createEventStreamConfig, type EventStream, KafkaJsEventStream, pinoEventStreamLog } from '@platform/event-stream';
import { type Logger } from 'pino';
import { type PlatformConfig } from './platform-config';

/** The configured Kafka (KAFKA_BROKERS), or null in embedded mode: one rule for services and CLIs. */
export function platformEventStream(config: PlatformConfig, log: Logger): EventStream | null {
  if (config.kafka === undefined) return null;
  const { brokers, clientId, sessionTimeoutMs } = config.kafka;
  // Heartbeats at a third of the session at most, as Kafka advises; kafkajs's 3 s otherwise.
  const heartbeatIntervalMs = Math.min(3_000, Math.floor(sessionTimeoutMs / 3));
  return new KafkaJsEventStream(createEventStreamConfig({ brokers, clientId, sessionTimeoutMs, heartbeatIntervalMs, log: pinoEventStreamLog(log) }));
}
