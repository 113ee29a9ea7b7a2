import { createEventStreamConfig, InvalidEventStreamConfigError } from './event-stream-config';
import { type EventStreamLogEntry } from './event-stream-log';
import { toKafkaJsRetry } from './kafkajs-event-stream';

const brokers = ['127.0.0.1:19092'];

describe('createEventStreamConfig', () => {
  it('fills every setting but the brokers with a default, quiet below warn', () => {
    const { log, ...config } = createEventStreamConfig({ brokers });

    expect(config).toEqual({
      clientId: 'lambda-platform',
      brokers,
      connectionTimeoutMs: 3_000,
      requestTimeoutMs: 30_000,
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000,
      fetchMaxWaitMs: 200,
      retry: { initialRetryTimeMs: 300, maxRetryTimeMs: 30_000, retries: 5 },
      logLevel: 'warn',
    });
    expect(log).toEqual(expect.any(Function));
  });

  it('takes overrides, retry in part, and the given log function', () => {
    const entries: EventStreamLogEntry[] = [];
    const log = (entry: EventStreamLogEntry): void => void entries.push(entry);

    const config = createEventStreamConfig({
      brokers,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      retry: { retries: 2 },
      logLevel: 'error',
      log,
    });

    expect(config).toMatchObject({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, logLevel: 'error', log });
    expect(config.retry).toEqual({ initialRetryTimeMs: 300, maxRetryTimeMs: 30_000, retries: 2 });
  });

  it.each([
    [{ brokers: [] }, 'brokers: '],
    [{ brokers: ['localhost'] }, 'brokers.0: expected host:port (got "localhost")'],
    [{ brokers, sessionTimeoutMs: 0 }, 'sessionTimeoutMs: '],
    [{ brokers, requestTimeoutMs: 1.5 }, 'requestTimeoutMs: '],
    [{ brokers, retry: { retries: -1 } }, 'retry.retries: '],
    [
      { brokers, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 6_000 },
      'heartbeatIntervalMs: must be below sessionTimeoutMs (a third of it is advised) (got 6000)',
    ],
    [{ brokers, retry: { initialRetryTimeMs: 5_000, maxRetryTimeMs: 1_000 } }, 'retry.initialRetryTimeMs: '],
  ])('refuses %j, naming the field and value', (input, expected) => {
    expect(() => createEventStreamConfig(input)).toThrow(InvalidEventStreamConfigError);
    expect(() => createEventStreamConfig(input)).toThrow(expected);
  });
});

describe('toKafkaJsRetry', () => {
  it('pins the backoff shape so NODE_ENV=test does not change it', () => {
    expect(toKafkaJsRetry({ initialRetryTimeMs: 100, maxRetryTimeMs: 1_000, retries: 3 })).toEqual({
      initialRetryTime: 100,
      maxRetryTime: 1_000,
      retries: 3,
      factor: 0.2,
      multiplier: 2,
    });
  });
});
