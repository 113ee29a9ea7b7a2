import { type IngestOutcome } from '@platform/speed-layer';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The speed layer's Prometheus metrics, fed by each micro-batch's outcome. */
export class SpeedMetrics {
  private readonly events: Counter<'outcome'>;
  private readonly deadLetters: Counter<'reason'>;
  private readonly batchSize: Histogram;

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
  }

  observe(outcome: IngestOutcome): void {
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
  }
}
