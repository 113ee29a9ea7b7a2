import { type Logger } from 'pino';

export type EventStreamLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** One line of the Kafka client's own logging; `extra` holds its structured fields (broker, groupId, error…). */
export interface EventStreamLogEntry {
  readonly level: EventStreamLogLevel;
  readonly message: string;
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Where the Kafka client's own log lines go. Levels below the configured `logLevel` never reach it. */
export type EventStreamLog = (entry: EventStreamLogEntry) => void;

/** Writes the client's log lines through a pino logger (e.g. the app's, or a child of it). */
export function pinoEventStreamLog(logger: Pick<Logger, EventStreamLogLevel>): EventStreamLog {
  return ({ level, message, extra }) => logger[level](extra, message);
}
