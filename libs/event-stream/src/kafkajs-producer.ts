import { type Producer } from 'kafkajs';
import { classifyKafkaError } from './classify-kafka-error';
import { type EventStreamProducer, type OutgoingMessage } from './event-stream';
import { TopicNotFoundError } from './event-stream-errors';
import { toKafkaJsMessage } from './kafkajs-messages';

export class KafkaJsProducer implements EventStreamProducer {
  private client: Producer;
  private replacing: Promise<void> | undefined;

  constructor(private readonly createClient: () => Producer) {
    this.client = createClient();
  }

  async connect(): Promise<void> {
    try {
      await this.client.connect();
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'connect producer' });
    }
  }

  async disconnect(): Promise<void> {
    try {
      await this.client.disconnect();
    } catch (error) {
      throw classifyKafkaError(error, { operation: 'disconnect producer' });
    }
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    const record = { topic, acks: -1, messages: messages.map(toKafkaJsMessage) };
    const context = { operation: 'send', topic };
    try {
      await this.client.send(record);
      return;
    } catch (error) {
      const classified = classifyKafkaError(error, context);
      if (!(classified instanceof TopicNotFoundError)) throw classified;
    }
    // A kafkajs producer refreshes metadata for every topic it ever wrote to, so once one of them is
    // deleted every later send fails as "unknown topic" (kafkajs#1146, #1622, unfixed). A fresh
    // client knows only this topic: if it fails too, the topic really is missing.
    await this.replaceClient();
    try {
      await this.client.send(record);
    } catch (error) {
      throw classifyKafkaError(error, context);
    }
  }

  /** Concurrent failing sends share one replacement. */
  private replaceClient(): Promise<void> {
    this.replacing ??= (async () => {
      const stale = this.client;
      const fresh = this.createClient();
      try {
        await fresh.connect();
      } catch (error) {
        throw classifyKafkaError(error, { operation: 'reconnect producer' });
      }
      this.client = fresh;
      await stale.disconnect().catch(() => undefined); // its failure changes nothing: it is no longer used
    })().finally(() => {
      this.replacing = undefined;
    });
    return this.replacing;
  }
}
