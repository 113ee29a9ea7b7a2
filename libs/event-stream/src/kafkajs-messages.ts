import { type IHeaders, type IMemberAssignment, type KafkaMessage, type Message } from 'kafkajs';
import { type ConsumedMessage, type OutgoingMessage, type TopicPartitions } from './event-stream';

export function toKafkaJsMessage({ key, value, headers }: OutgoingMessage): Message {
  return headers === undefined ? { key, value } : { key, value, headers: { ...headers } };
}

/** Kafka allows a header key more than once per record; like Java's `lastHeader`, the last one wins. */
export function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value.at(-1) : value;
    if (last !== undefined) decoded[name] = Buffer.isBuffer(last) ? last.toString('utf8') : last;
  }
  return decoded;
}

export function toConsumedMessage(topic: string, partition: number, message: KafkaMessage): ConsumedMessage {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: decodeHeaders(message.headers),
    timestamp: Number(message.timestamp),
  };
}

export function toTopicPartitions(assignment: IMemberAssignment): TopicPartitions[] {
  return Object.entries(assignment)
    .map(([topic, partitions]) => ({ topic, partitions: [...partitions].sort((a, b) => a - b) }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}
