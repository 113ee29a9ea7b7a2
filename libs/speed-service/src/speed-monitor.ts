import { type TableParts } from '@platform/clickhouse-store';
import { consumerLag, type EventStreamAdmin } from '@platform/event-stream';
import { type SpeedLog } from '@platform/speed-layer';
import { type BrokerHealth } from './broker-health';
import { type SpeedMetrics } from './speed-metrics';

export interface SpeedMonitorOptions {
  readonly topic: string;
  readonly groupId: string;
  /** Between the end of one reading and the start of the next. */
  readonly intervalMs: number;
  /** A reading the broker has not answered by then counts as failed (kafkajs alone retries for much longer). */
  readonly timeoutMs: number;
}

export interface SpeedMonitorDependencies {
  readonly createAdmin: () => EventStreamAdmin;
  readonly parts: { activeParts(): Promise<TableParts[]> };
  readonly metrics: SpeedMetrics;
  readonly health: BrokerHealth;
  readonly log: SpeedLog;
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  // The abandoned request still settles later; its failure is already reported as the timeout.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Reads, every few seconds, what the consumer cannot see from inside a batch: the group's lag per
 * partition (through the admin port) and the active parts of the platform's tables. Whether the
 * broker answered feeds readiness (BrokerHealth).
 */
export class SpeedMonitor {
  private admin: EventStreamAdmin | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;
  private lagFailing = false;
  private partsFailing = false;

  constructor(
    private readonly deps: SpeedMonitorDependencies,
    private readonly options: SpeedMonitorOptions,
  ) {}

  /** Takes the first reading now, then one every intervalMs until stop(). */
  start(): void {
    const next = (): void => {
      this.reading = this.read().finally(() => {
        if (!this.stopped) this.timer = setTimeout(next, this.options.intervalMs);
      });
    };
    next();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.reading;
    await this.dropAdmin();
  }

  /** One reading of lag and parts; failures are recorded, never thrown. */
  async read(): Promise<void> {
    await Promise.all([this.readLag(), this.readParts()]);
  }

  private async readLag(): Promise<void> {
    const { topic, groupId, timeoutMs } = this.options;
    try {
      const lags = await withTimeout(
        (async () => {
          const admin = await this.connectedAdmin();
          const [offsets, committed] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchCommittedOffsets(groupId, topic)]);
          return consumerLag(offsets, committed);
        })(),
        timeoutMs,
        `reading the lag of group ${groupId} on ${topic}`,
      );
      this.deps.metrics.setLag(topic, lags);
      this.deps.health.adminAnswered();
      if (this.lagFailing) this.deps.log.info({ topic, groupId }, 'consumer lag readable again: the broker answers');
      this.lagFailing = false;
    } catch (error) {
      this.deps.health.adminFailed(error);
      if (!this.lagFailing) this.deps.log.warn({ err: error, topic, groupId }, 'consumer lag not readable: the broker does not answer');
      this.lagFailing = true;
      // A fresh client next time: one cut off mid-request may not recover its connections.
      await this.dropAdmin();
    }
  }

  private async readParts(): Promise<void> {
    try {
      this.deps.metrics.setParts(await this.deps.parts.activeParts());
      if (this.partsFailing) this.deps.log.info({}, 'parts count readable again');
      this.partsFailing = false;
    } catch (error) {
      if (!this.partsFailing) this.deps.log.warn({ err: error }, 'parts count not readable: ClickHouse does not answer');
      this.partsFailing = true;
    }
  }

  private async connectedAdmin(): Promise<EventStreamAdmin> {
    if (this.admin !== undefined) return this.admin;
    const admin = this.deps.createAdmin();
    this.admin = admin;
    await admin.connect();
    return admin;
  }

  private async dropAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.disconnect().catch(() => undefined);
  }
}
