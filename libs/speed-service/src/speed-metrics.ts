import { type TableParts } from '@platform/clickhouse-store';
import { type ConsumedMessage, type PartitionLag } from '@platform/event-stream';
import { type IngestOutcome } from '@platform/speed-layer';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** From a message sent in the same millisecond as its batch was written up to a minute behind. */
const LATENCY_BUCKETS_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/**
 * The speed layer's Prometheus metrics: each micro-batch's outcome (events/s is the rate of
 * speed_events_total), the consumer lag and the tables' parts, refreshed by SpeedMonitor.
 */
export class SpeedMetrics {
  private readonly events: Counter<'outcome'>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly batchSize: Histogram;
  private readonly writtenLatency: Histogram;
  private readonly lag: Gauge<'topic' | 'partition'>;
  private readonly activeParts: Gauge<'table'>;
  private readonly maxPartsPerPartition: Gauge<'table'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.events = new Counter({
      name: 'speed_events_total',
      help: 'Feature events by outcome: appended to the master dataset, scored, late, unscored, duplicate',
      labelNames: ['outcome'],
      registers,
    });
    this.deadLetters = new Counter({ name: 'speed_dead_letters_total', help: 'Messages sent to the dead-letter topic, by reason', labelNames: ['reason'], registers });
    this.batchSize = new Histogram({
      name: 'speed_batch_messages',
      help: 'Messages per micro-batch',
      buckets: [1, 10, 100, 500, 1_000, 5_000, 10_000, 50_000],
      registers,
    });
    this.writtenLatency = new Histogram({
      name: 'speed_event_written_latency_seconds',
      help: "From a message's Kafka timestamp (the producer's create time) to the end of its micro-batch's writes",
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.lag = new Gauge({
      name: 'speed_consumer_lag',
      help: "Messages the consumer group has not committed yet: the partition's log end minus the group's committed offset",
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.activeParts = new Gauge({ name: 'clickhouse_active_parts', help: 'Active data parts per table of the platform database', labelNames: ['table'], registers });
    this.maxPartsPerPartition = new Gauge({
      name: 'clickhouse_max_parts_per_partition',
      help: 'Active data parts of the fullest partition per table ("too many parts" refuses inserts at 300 by default)',
      labelNames: ['table'],
      registers,
    });
  }

  observe(outcome: IngestOutcome, batch: readonly ConsumedMessage[]): void {
    this.events.inc({ outcome: 'appended' }, outcome.appended);
    this.events.inc({ outcome: 'scored' }, outcome.scored);
    this.events.inc({ outcome: 'late' }, outcome.late);
    this.events.inc({ outcome: 'unscored' }, outcome.unscored);
    this.events.inc({ outcome: 'duplicate' }, outcome.duplicates);
    let messages = outcome.appended + outcome.duplicates;
    for (const [reason, count] of Object.entries(outcome.deadLettered)) {
      this.deadLetters.inc({ reason }, count);
      messages += count;
    }
    this.batchSize.observe(messages);
    // A producer clock ahead of ours would make it negative: such a message was not late.
    for (const message of batch) this.writtenLatency.observe(Math.max(0, outcome.writtenAt - message.timestamp) / 1000);
  }

  setLag(topic: string, lags: readonly PartitionLag[]): void {
    for (const { partition, lag } of lags) this.lag.set({ topic, partition: String(partition) }, lag);
  }

  /** Replaces every table's values: a dropped table disappears instead of showing its last count. */
  setParts(tables: readonly TableParts[]): void {
    this.activeParts.reset();
    this.maxPartsPerPartition.reset();
    for (const { table, activeParts, maxPartsPerPartition } of tables) {
      this.activeParts.set({ table }, activeParts);
      this.maxPartsPerPartition.set({ table }, maxPartsPerPartition);
    }
  }
}
