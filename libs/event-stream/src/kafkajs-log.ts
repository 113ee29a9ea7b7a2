import { type LogEntry, logLevel as KafkaJsLogLevel, type logCreator } from 'kafkajs';
import { type EventStreamLog, type EventStreamLogEntry, type EventStreamLogLevel } from './event-stream-log';

export const KAFKAJS_LOG_LEVELS: Readonly<Record<EventStreamLogLevel, KafkaJsLogLevel>> = {
  error: KafkaJsLogLevel.ERROR,
  warn: KafkaJsLogLevel.WARN,
  info: KafkaJsLogLevel.INFO,
  debug: KafkaJsLogLevel.DEBUG,
};

function fromKafkaJsLevel(level: KafkaJsLogLevel): EventStreamLogLevel {
  switch (level) {
    case KafkaJsLogLevel.DEBUG:
      return 'debug';
    case KafkaJsLogLevel.INFO:
      return 'info';
    case KafkaJsLogLevel.WARN:
      return 'warn';
    case KafkaJsLogLevel.ERROR:
    case KafkaJsLogLevel.NOTHING:
      return 'error';
  }
}

/** kafkajs's own fields that the log sink provides itself. */
const DROPPED_FIELDS = new Set(['message', 'timestamp', 'logger']);

export function toEventStreamLogEntry({ namespace, level, log }: LogEntry): EventStreamLogEntry {
  const extra = Object.fromEntries(Object.entries(log).filter(([field]) => !DROPPED_FIELDS.has(field)));
  return { level: fromKafkaJsLevel(level), message: log.message, extra: { namespace, ...extra } };
}

/** Routes kafkajs's logging to our log function (kafkajs filters by level before calling it). */
export function kafkaJsLogCreator(log: EventStreamLog): logCreator {
  return () => (entry) => log(toEventStreamLogEntry(entry));
}
