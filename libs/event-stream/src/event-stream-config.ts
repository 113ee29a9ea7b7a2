import { InvalidInputError } from '@platform/domain';
import { pino } from 'pino';
import { z } from 'zod';
import { type EventStreamLog, type EventStreamLogLevel, pinoEventStreamLog } from './event-stream-log';

/** Backoff of the client's own retries: initial delay, doubled per attempt (with jitter) up to the max. */
export interface RetryConfig {
  readonly initialRetryTimeMs: number;
  readonly maxRetryTimeMs: number;
  /** Attempts after the first; 0 fails on the first error. */
  readonly retries: number;
}

export interface EventStreamConfig {
  readonly clientId: string;
  /** Bootstrap brokers as host:port; the rest of the cluster is discovered from them. */
  readonly brokers: readonly string[];
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /**
   * A member that sends no heartbeat for this long is removed from its group. Brokers accept
   * 6 s to 30 min by default (group.min/max.session.timeout.ms).
   */
  readonly sessionTimeoutMs: number;
  /** Below sessionTimeoutMs; Kafka advises at most a third of it. */
  readonly heartbeatIntervalMs: number;
  /**
   * How long a fetch waits on the broker when there is nothing new; bounds how long `stop()` waits.
   * kafkajs also sleeps this long whenever every assigned partition is paused, so it is the stall
   * after backpressure resumes fetching.
   */
  readonly fetchMaxWaitMs: number;
  readonly retry: RetryConfig;
  readonly logLevel: EventStreamLogLevel;
  readonly log: EventStreamLog;
}

/** Everything but the brokers has a default; `retry` may be given in part. */
export type EventStreamConfigInput = Partial<Omit<EventStreamConfig, 'brokers' | 'retry'>> & {
  readonly brokers: readonly string[];
  readonly retry?: Partial<RetryConfig>;
};

/** The config is unusable as given; the message names each bad field and its value. */
export class InvalidEventStreamConfigError extends InvalidInputError {
  override readonly code = 'INVALID_EVENT_STREAM_CONFIG';
}

const positiveMs = z.number().int().positive();

const configSchema = z
  .object({
    clientId: z.string().min(1),
    brokers: z.array(z.string().regex(/^[^\s:,]+:\d{1,5}$/, 'expected host:port')).min(1),
    connectionTimeoutMs: positiveMs,
    requestTimeoutMs: positiveMs,
    sessionTimeoutMs: positiveMs,
    heartbeatIntervalMs: positiveMs,
    fetchMaxWaitMs: positiveMs,
    retry: z.object({
      initialRetryTimeMs: positiveMs,
      maxRetryTimeMs: positiveMs,
      retries: z.number().int().nonnegative(),
    }),
    logLevel: z.enum(['error', 'warn', 'info', 'debug']),
  })
  .refine((config) => config.heartbeatIntervalMs < config.sessionTimeoutMs, {
    path: ['heartbeatIntervalMs'],
    message: 'must be below sessionTimeoutMs (a third of it is advised)',
  })
  .refine((config) => config.retry.initialRetryTimeMs <= config.retry.maxRetryTimeMs, {
    path: ['retry', 'initialRetryTimeMs'],
    message: 'must not exceed retry.maxRetryTimeMs',
  });

/**
 * The one place defaults live. They follow the Kafka client's own (kafkajs's) except where noted;
 * tests shorten the session through this function, not by reaching into the client.
 */
export function createEventStreamConfig(input: EventStreamConfigInput): EventStreamConfig {
  const logLevel = input.logLevel ?? 'warn';
  const candidate = {
    clientId: input.clientId ?? 'lambda-platform',
    brokers: input.brokers,
    // kafkajs waits 1 s; a loaded CI machine or a remote cluster needs more for the TCP connect.
    connectionTimeoutMs: input.connectionTimeoutMs ?? 3_000,
    requestTimeoutMs: input.requestTimeoutMs ?? 30_000,
    sessionTimeoutMs: input.sessionTimeoutMs ?? 30_000,
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? 3_000,
    // kafkajs waits 5 s. 200 ms keeps stop() and rebalances quick, and a consumer that paused for
    // backpressure fetching again soon: at 1 s the speed layer's queue ran dry after each resume
    // and it ingested half as fast (16k against 30k events/s on one consumer). Idle fetches cost little.
    fetchMaxWaitMs: input.fetchMaxWaitMs ?? 200,
    retry: {
      initialRetryTimeMs: input.retry?.initialRetryTimeMs ?? 300,
      maxRetryTimeMs: input.retry?.maxRetryTimeMs ?? 30_000,
      retries: input.retry?.retries ?? 5,
    },
    logLevel,
  };
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(valueAt(candidate, issue.path))})`,
    );
    throw new InvalidEventStreamConfigError(`invalid event stream config: ${problems.join('; ')}`);
  }
  return { ...candidate, log: input.log ?? pinoEventStreamLog(pino({ name: 'event-stream', level: logLevel })) };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((value, key) => {
    return typeof value === 'object' && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }, root);
}
