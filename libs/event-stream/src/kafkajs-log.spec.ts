import { logLevel } from 'kafkajs';
import { type EventStreamLogEntry } from './event-stream-log';
import { KAFKAJS_LOG_LEVELS, kafkaJsLogCreator } from './kafkajs-log';

describe('kafkaJsLogCreator', () => {
  it('passes level, message and structured fields on, without kafkajs’s own timestamp and logger name', () => {
    const entries: EventStreamLogEntry[] = [];
    const write = kafkaJsLogCreator((entry) => entries.push(entry))(logLevel.WARN);

    write({
      namespace: 'Connection',
      level: logLevel.ERROR,
      label: 'ERROR',
      log: {
        timestamp: '2025-01-01T00:00:00.000Z',
        logger: 'kafkajs',
        message: 'Response GroupCoordinator',
        broker: '127.0.0.1:19092',
        error: 'not available',
      },
    });

    expect(entries).toEqual([
      {
        level: 'error',
        message: 'Response GroupCoordinator',
        extra: { namespace: 'Connection', broker: '127.0.0.1:19092', error: 'not available' },
      },
    ]);
  });

  it.each([
    [logLevel.WARN, 'warn'],
    [logLevel.INFO, 'info'],
    [logLevel.DEBUG, 'debug'],
  ])('maps kafkajs level %d to %s', (level, expected) => {
    const entries: EventStreamLogEntry[] = [];
    const write = kafkaJsLogCreator((entry) => entries.push(entry))(level);
    write({ namespace: 'Runner', level, label: '', log: { timestamp: '', message: 'm' } });
    expect(entries[0]?.level).toBe(expected);
  });

  it('configures kafkajs with the matching threshold', () => {
    expect(KAFKAJS_LOG_LEVELS).toEqual({
      error: logLevel.ERROR,
      warn: logLevel.WARN,
      info: logLevel.INFO,
      debug: logLevel.DEBUG,
    });
  });
});
