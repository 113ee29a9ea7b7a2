import { type ConsumedMessage, type EventStream, type EventStreamConsumer, type EventStreamProducer, type TopicPartitions } from '@platform/event-stream';
import { type DeadLetterMessage, microBatch, type MicroBatchPolicy } from '@platform/speed-domain';
import { concatMap, type Subscription, Subject } from 'rxjs';
import { type IngestFeatureEvents, type IngestOutcome } from './ingest-feature-events';
import { type ServingModelCatalog } from './serving-model-catalog';

/** pino-compatible. */
export interface SpeedLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

/** The dead-letter topic's producer: connected with the consumer, shared with the ingest use case. */
export class DeadLetterTopic {
  private readonly producer: EventStreamProducer;

  constructor(
    stream: EventStream,
    readonly topic: string,
  ) {
    this.producer = stream.createProducer();
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }

  /** Resolves once the broker has them: the batch's offsets may then move past them. */
  send(messages: readonly DeadLetterMessage[]): Promise<void> {
    return this.producer.send(this.topic, messages);
  }
}

export interface SpeedConsumerOptions {
  readonly topic: string;
  readonly groupId: string;
  readonly batching: MicroBatchPolicy;
  /** Capped exponential backoff while a micro-batch cannot be written (ClickHouse down). */
  readonly retry: { readonly initialMs: number; readonly maxMs: number };
}

/**
 * The speed layer's consumer group member: Kafka messages are micro-batched (by count or time,
 * never two flushes within the minimum interval), ingested one batch at a time, and their offsets
 * committed only after every write of the batch succeeded. While a batch cannot be written, fetching
 * is paused and the batch retried with capped exponential backoff; nothing is committed, so no
 * offset moves past unwritten data; a crash or a rebalance redelivers what was not committed, and event ids
 * de-duplicate it downstream.
 */
export class SpeedConsumer {
  private readonly messages = new Subject<ConsumedMessage>();
  private consumer: EventStreamConsumer | undefined;
  private pipeline: Subscription | undefined;
  private drained: Promise<void> = Promise.resolve();
  private stopping = false;
  private assignment: readonly TopicPartitions[] = [];
  private paused = false;

  constructor(
    private readonly stream: EventStream,
    private readonly ingest: IngestFeatureEvents,
    private readonly catalog: ServingModelCatalog,
    private readonly deadLetters: DeadLetterTopic,
    private readonly options: SpeedConsumerOptions,
    private readonly log: SpeedLog,
    private readonly onBatch: (outcome: IngestOutcome, batch: readonly ConsumedMessage[]) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    await this.deadLetters.connect();
    await this.catalog.refresh();
    this.drained = new Promise((resolve, reject) => {
      this.pipeline = this.messages
        .pipe(
          microBatch(this.options.batching),
          concatMap((batch) => this.process(batch)),
        )
        .subscribe({ complete: resolve, error: reject });
    });
    const consumer = this.stream.createConsumer({ groupId: this.options.groupId });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe([this.options.topic]);
    consumer.onAssignment((assignment) => {
      this.assignment = assignment;
      this.paused = false;
    });
    // Hands the batch to the micro-batcher and returns at once: committing is the pipeline's.
    this.assignment = await consumer.run(({ messages }) => {
      for (const message of messages) this.messages.next(message);
      return Promise.resolve();
    });
    this.log.info({ topic: this.options.topic, groupId: this.options.groupId, assignment: this.assignment }, 'speed consumer joined');
  }

  /**
   * SIGTERM: flushes what was consumed and commits it, then leaves the group (its partitions move
   * at once) and disconnects. Messages fetched after the flush are not committed: redelivered.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.messages.complete();
    try {
      await this.drained;
    } finally {
      this.pipeline?.unsubscribe();
      await this.consumer?.stop();
      await this.deadLetters.disconnect();
    }
  }

  private async process(batch: readonly ConsumedMessage[]): Promise<void> {
    // Between batches: a publish or rollback since the last one switches the version from here on.
    for (const change of await this.withBackoff(() => this.catalog.refresh())) this.log.info({ ...change }, 'serving version changed');
    const outcome = await this.withBackoff(() => this.ingest.ingest(batch));
    this.setFetching(true);
    try {
      await this.consumer?.commit(outcome.positions);
    } catch (error) {
      // Lost the partitions (rebalance, stop): their new owner resumes from the last commit and
      // re-ingests; event ids make that idempotent in the merged view.
      this.log.warn({ err: error, positions: outcome.positions }, 'offsets not committed; the batch will be redelivered');
    }
    this.onBatch(outcome, batch);
  }

  private setFetching(on: boolean): void {
    if (this.consumer === undefined || this.paused !== on || this.assignment.length === 0) return;
    try {
      if (on) this.consumer.resume(this.assignment);
      else this.consumer.pause(this.assignment);
      this.paused = !on;
    } catch (error) {
      // Between a rebalance and the next assignment: the new assignment starts unpaused anyway.
      this.log.warn({ err: error }, on ? 'could not resume fetching' : 'could not pause fetching');
    }
  }

  private async withBackoff<T>(attempt: () => Promise<T>): Promise<T> {
    let delay = this.options.retry.initialMs;
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (this.stopping && tries > 3) throw error;
        // Stop fetching while the store is down, so memory holds one batch, not the backlog.
        this.setFetching(false);
        this.log.warn({ err: error, tries, retryInMs: delay }, 'micro-batch not written; retrying, nothing committed');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.options.retry.maxMs);
      }
    }
  }
}
