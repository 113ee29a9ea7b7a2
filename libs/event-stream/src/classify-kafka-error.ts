import { PlatformError } from '@platform/domain';
import {
  EventStreamRequestError,
  type EventStreamErrorContext,
  EventStreamUnavailableError,
  TopicNotFoundError,
} from './event-stream-errors';

/** The fields kafkajs puts on its errors; read structurally so this module needs no kafkajs import. */
interface KafkaErrorFields {
  readonly retriable?: unknown;
  readonly type?: unknown;
  readonly cause?: unknown;
  readonly errors?: unknown;
}

function fieldsOf(error: unknown): KafkaErrorFields | undefined {
  return typeof error === 'object' && error !== null ? (error as KafkaErrorFields) : undefined;
}

/**
 * The failures behind an error: kafkajs's retrier wraps the last failure as `cause`
 * (KafkaJSNumberOfRetriesExceeded), and admin calls aggregate one error per topic in `errors`.
 * A PlatformError is a leaf: it is already classified (e.g. a batch handler's own error).
 */
function rootFailures(error: unknown, seen = new Set<unknown>()): unknown[] {
  const fields = fieldsOf(error);
  if (fields === undefined || error instanceof PlatformError || seen.has(error)) return [error];
  seen.add(error);
  if (Array.isArray(fields.errors) && fields.errors.length > 0) {
    return fields.errors.flatMap((inner: unknown) => rootFailures(inner, seen));
  }
  if (fields.cause !== undefined && fields.cause !== null) return rootFailures(fields.cause, seen);
  return [error];
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Maps whatever a kafkajs call threw to a typed platform error. Retriability is the root failure's:
 * "number of retries exceeded" only says the client stopped trying, while the outage behind it
 * (a broker down, a leader election) may well end; kafkajs's consumer restarts on the same rule.
 */
export function classifyKafkaError(
  error: unknown,
  context: Omit<EventStreamErrorContext, 'kafkaErrorType'>,
): PlatformError {
  const failures = rootFailures(error);
  const alreadyClassified = failures.find((failure) => failure instanceof PlatformError);
  if (alreadyClassified instanceof PlatformError) return alreadyClassified;

  const kafkaErrorTypes = failures.map((failure) => fieldsOf(failure)?.type).filter((type) => typeof type === 'string');
  const kafkaErrorType = kafkaErrorTypes[0];
  const fullContext: EventStreamErrorContext = kafkaErrorType === undefined ? context : { ...context, kafkaErrorType };
  const message = [...new Set(failures.map(messageOf))].join('; ');

  if (kafkaErrorTypes.includes('UNKNOWN_TOPIC_OR_PARTITION')) {
    return new TopicNotFoundError(message, fullContext, error);
  }
  const retriable = failures.every((failure) => fieldsOf(failure)?.retriable === true);
  return retriable
    ? new EventStreamUnavailableError(message, fullContext, error)
    : new EventStreamRequestError(message, fullContext, error);
}
