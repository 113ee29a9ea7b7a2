import { type ConsumedMessage, type EventStream, type EventStreamConsumer, type EventStreamProducer, type TopicPartitions } from '@platform/event-stream';
import { type DeadLetterMessage, microBatch, type MicroBatchPolicy } from '@platform/speed-domain';
import { concatMap, interval, map, merge, type Subscription, Subject, takeUntil } from 'rxjs';
import { type CatchUpOutcome, type CatchUpScoring } from './catch-up';
import { type IngestFeatureEvents, type IngestOutcome, type PreparedBatch } from './ingest-feature-events';
import { type PredictionTopics } from './prediction-topics';
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
  /** How often the serving pointers are checked when no micro-batch arrives (default 1 s). */
  readonly servingRefreshMs?: number;
  /**
   * Fetched messages not yet ingested above which fetching pauses (until half of it is left):
   * memory holds a bounded backlog when scoring or writing is slower than the topic. Default
   * four micro-batches.
   */
  readonly maxBufferedMessages?: number;
  /**
   * The same mark in bytes of message values (default 256 MiB): four micro-batches of large
   * events must not fill memory either.
   */
  readonly maxBufferedBytes?: number;
}

export interface SpeedConsumerDependencies {
  readonly stream: EventStream;
  readonly ingest: IngestFeatureEvents;
  readonly catalog: ServingModelCatalog;
  readonly catchUp: CatchUpScoring;
  readonly deadLetters: DeadLetterTopic;
  /** Output topics the ingest and the catch-up publish to; connected and disconnected with the consumer. */
  readonly outputs?: PredictionTopics;
  readonly log: SpeedLog;
  /** Told of each micro-batch once written (metrics), with the messages it held. */
  readonly onBatch?: (outcome: IngestOutcome, batch: readonly ConsumedMessage[]) => void;
  /** Told of each catch-up after a serving version change. */
  readonly onCatchUp?: (outcome: CatchUpOutcome) => void;
}

const DEFAULT_SERVING_REFRESH_MS = 1_000;
const DEFAULT_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

function valueBytes(messages: readonly ConsumedMessage[]): number {
  let bytes = 0;
  for (const message of messages) bytes += message.value?.length ?? 0;
  return bytes;
}

/**
 * The speed layer's consumer group member: Kafka messages are micro-batched (by count or time,
 * never two flushes within the minimum interval), prepared as they come (validation overlaps the
 * writes of the batch before), written one batch at a time, and their offsets
 * committed only after every write of the batch succeeded. While a batch cannot be written, fetching
 * is paused and the batch retried with capped exponential backoff; nothing is committed, so no
 * offset moves past unwritten data; a crash or a rebalance redelivers what was not committed, and event ids
 * de-duplicate it downstream.
 *
 * Between batches (and at least every `servingRefreshMs` without traffic) it follows the serving
 * pointers; when a model's version changes it catches up (re-scores every entity with an event
 * after the new cut-off) before ingesting more, so each event is scored with the new version either
 * by the catch-up (appended before the switch) or by its batch (after). It catches up at start too:
 * a publish may have happened while no consumer ran.
 */
export class SpeedConsumer {
  private readonly messages = new Subject<ConsumedMessage>();
  private readonly stopRequested = new Subject<void>();
  private consumer: EventStreamConsumer | undefined;
  private pipeline: Subscription | undefined;
  private drained: Promise<void> = Promise.resolve();
  private stopping = false;
  private assignment: readonly TopicPartitions[] = [];
  private paused = false;
  private storeDown = false;
  /** Messages handed to the micro-batcher and not yet ingested, and the bytes of their values. */
  private buffered = 0;
  private bufferedBytes = 0;
  private servingCheckedAt = 0;
  private readonly servingRefreshMs: number;
  private readonly maxBufferedMessages: number;
  private readonly maxBufferedBytes: number;

  constructor(
    private readonly deps: SpeedConsumerDependencies,
    private readonly options: SpeedConsumerOptions,
  ) {
    this.servingRefreshMs = options.servingRefreshMs ?? DEFAULT_SERVING_REFRESH_MS;
    this.maxBufferedMessages = options.maxBufferedMessages ?? 4 * options.batching.maxCount;
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

  async start(): Promise<void> {
    await this.deps.deadLetters.connect();
    await this.deps.outputs?.connect();
    await this.followServing(true);
    const servingChecks = interval(this.servingRefreshMs).pipe(
      takeUntil(this.stopRequested),
      map(() => null),
    );
    // Each batch is prepared (validated, de-duplicated) as soon as the micro-batcher flushes it,
    // while earlier batches may still be writing; writes and commits stay one batch at a time, in
    // order. What waits prepared is bounded by the fetch backlog (maxBufferedMessages).
    const batches = this.messages.pipe(
      microBatch(this.options.batching),
      map((batch) => ({ batch, prepared: this.prepareAhead(batch) })),
    );
    this.drained = new Promise((resolve, reject) => {
      this.pipeline = merge(batches, servingChecks)
        .pipe(concatMap((item) => (item === null ? this.followServingIfDue() : this.process(item.batch, item.prepared))))
        .subscribe({ complete: resolve, error: reject });
    });
    const consumer = this.deps.stream.createConsumer({ groupId: this.options.groupId });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe([this.options.topic]);
    consumer.onAssignment((assignment) => {
      this.assignment = assignment;
      this.paused = false;
      this.updateFetching();
    });
    // Hands the batch to the micro-batcher and returns at once (committing is the pipeline's);
    // fetching pauses instead while the backlog is full.
    this.assignment = await consumer.run(({ messages }) => {
      this.buffered += messages.length;
      this.bufferedBytes += valueBytes(messages);
      for (const message of messages) this.messages.next(message);
      this.updateFetching();
      return Promise.resolve();
    });
    this.deps.log.info({ topic: this.options.topic, groupId: this.options.groupId, assignment: this.assignment }, 'speed consumer joined');
  }

  /**
   * SIGTERM: flushes what was consumed and commits it, then leaves the group (its partitions move
   * at once) and disconnects. Messages fetched after the flush are not committed: redelivered.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopRequested.next();
    this.messages.complete();
    try {
      await this.drained;
    } finally {
      this.pipeline?.unsubscribe();
      await this.consumer?.stop();
      await this.deps.deadLetters.disconnect();
      await this.deps.outputs?.disconnect();
    }
  }

  /** Preparing never throws by contract; should it, the batch is prepared again when its turn comes. */
  private prepareAhead(batch: readonly ConsumedMessage[]): PreparedBatch | undefined {
    try {
      return this.deps.ingest.prepare(batch);
    } catch (error) {
      this.deps.log.error({ err: error }, 'could not prepare a micro-batch ahead; preparing it when its turn comes');
      return undefined;
    }
  }

  private async process(batch: readonly ConsumedMessage[], prepared: PreparedBatch | undefined): Promise<void> {
    // Between batches: a publish or rollback since the last one switches the version from here on
    // (a batch prepared before against other manifests is prepared again by the write).
    await this.followServing(false);
    const outcome = await this.withBackoff(() => this.deps.ingest.write(prepared ?? this.deps.ingest.prepare(batch)));
    try {
      await this.consumer?.commit(outcome.positions);
    } catch (error) {
      // Lost the partitions (rebalance, stop): their new owner resumes from the last commit and
      // re-ingests; event ids make that idempotent in the merged view.
      this.deps.log.warn({ err: error, positions: outcome.positions }, 'offsets not committed; the batch will be redelivered');
    }
    this.buffered -= batch.length;
    this.bufferedBytes -= valueBytes(batch);
    this.updateFetching();
    this.deps.onBatch?.(outcome, batch);
  }

  private async followServingIfDue(): Promise<void> {
    if (Date.now() - this.servingCheckedAt >= this.servingRefreshMs) await this.followServing(false);
  }

  /** Swaps to each model's current version and re-scores what the switch left on the old one. */
  private async followServing(joining: boolean): Promise<void> {
    const changes = await this.withBackoff(() => this.deps.catalog.refresh());
    this.servingCheckedAt = Date.now();
    for (const change of changes) {
      this.deps.log.info({ ...change }, 'serving version changed');
      const serving = this.deps.catalog.servingModels().get(change.model);
      if (serving === undefined) continue;
      const outcome = await this.withBackoff(() => this.deps.catchUp.run(change.model, serving, change.current, joining));
      this.deps.log.info({ ...outcome }, 'caught up after the serving version changed');
      this.deps.onCatchUp?.(outcome);
    }
  }

  /**
   * Fetching runs unless the store is down or the backlog is full, in messages or in bytes (paused
   * at the mark, resumed once half of both is left, so it does not flap).
   */
  private updateFetching(): void {
    const backlogFull = this.paused
      ? this.buffered > this.maxBufferedMessages / 2 || this.bufferedBytes > this.maxBufferedBytes / 2
      : this.buffered >= this.maxBufferedMessages || this.bufferedBytes >= this.maxBufferedBytes;
    this.setFetching(!this.storeDown && !backlogFull);
  }

  private setFetching(on: boolean): void {
    if (this.consumer === undefined || this.paused !== on || this.assignment.length === 0) return;
    try {
      if (on) this.consumer.resume(this.assignment);
      else this.consumer.pause(this.assignment);
      this.paused = !on;
    } catch (error) {
      // Between a rebalance and the next assignment: the new assignment starts unpaused anyway.
      this.deps.log.warn({ err: error }, on ? 'could not resume fetching' : 'could not pause fetching');
    }
  }

  /** Retries until the store answers; fetching is paused meanwhile and resumed once it does. */
  private async withBackoff<T>(attempt: () => Promise<T>): Promise<T> {
    let delay = this.options.retry.initialMs;
    for (let tries = 1; ; tries++) {
      try {
        const result = await attempt();
        if (this.storeDown) {
          this.storeDown = false;
          this.deps.log.info({ tries }, 'the store answers again; resuming');
          this.updateFetching();
        }
        return result;
      } catch (error) {
        if (this.stopping && tries > 3) throw error;
        // Stop fetching while the store is down, so memory holds one batch, not the backlog.
        this.storeDown = true;
        this.updateFetching();
        this.deps.log.warn({ err: error, tries, retryInMs: delay }, 'micro-batch not written; retrying, nothing committed');
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, this.options.retry.maxMs);
      }
    }
  }
}
