import { type EventStream } from '@platform/event-stream';

export interface SentFeatureEvent {
  readonly eventId: string;
  readonly entityId: string;
  /** Epoch ms: the event's time, and when the broker acknowledged it. */
  readonly eventTime: number;
  readonly acknowledgedAt: number;
}

export type FeatureValues = Readonly<Record<string, number | string | null>>;

export interface SteadyFeatureStreamOptions {
  readonly topic: string;
  readonly model: string;
  readonly eventsPerSecond: number;
  /** Visited in turn, so each entity gets a sequence of events whose last one is its latest. */
  readonly entityIds: readonly string[];
  /** An entity's features, sent with each of its events. */
  readonly features: (entityId: string) => FeatureValues;
  /** Makes the event ids unique to the test; ids are zero-padded so their order is the send order. */
  readonly idPrefix: string;
}

const TICK_MS = 20;

/**
 * Feature events (feature-event/v1) sent at a steady rate, a small send every tick, until stopped:
 * faults then hit a flowing stream, and the test knows every event the broker acknowledged.
 * Event times never decrease, so an entity's latest event is the last one sent for it.
 */
export class SteadyFeatureStream {
  private readonly acknowledged: SentFeatureEvent[] = [];
  private stopping = false;
  private sending: Promise<void> | undefined;

  constructor(
    private readonly stream: EventStream,
    private readonly options: SteadyFeatureStreamOptions,
  ) {}

  start(): void {
    this.sending = this.send();
  }

  /** Events the broker has acknowledged so far. */
  get sentCount(): number {
    return this.acknowledged.length;
  }

  /** Stops after the send in flight; rejects if a send failed. */
  async stop(): Promise<readonly SentFeatureEvent[]> {
    this.stopping = true;
    await this.sending;
    return this.acknowledged;
  }

  private async send(): Promise<void> {
    const { topic, model, eventsPerSecond, entityIds, features, idPrefix } = this.options;
    const producer = this.stream.createProducer();
    await producer.connect();
    try {
      const startedAt = Date.now();
      while (!this.stopping) {
        const due = Math.floor(((Date.now() - startedAt) * eventsPerSecond) / 1000);
        const events: Pick<SentFeatureEvent, 'eventId' | 'entityId'>[] = [];
        for (let index = this.acknowledged.length; index < due; index++) {
          events.push({ eventId: `${idPrefix}-${String(index).padStart(8, '0')}`, entityId: entityIds[index % entityIds.length]! });
        }
        if (events.length > 0) {
          const eventTime = Date.now();
          await producer.send(
            topic,
            events.map(({ eventId, entityId }) => ({
              key: entityId,
              value: JSON.stringify({ schema: 'feature-event/v1', eventId, entityId, eventTime, model, features: features(entityId) }),
            })),
          );
          const acknowledgedAt = Date.now();
          this.acknowledged.push(...events.map((event) => ({ ...event, eventTime, acknowledgedAt })));
        }
        await new Promise((resolve) => setTimeout(resolve, TICK_MS));
      }
    } finally {
      await producer.disconnect();
    }
  }
}
