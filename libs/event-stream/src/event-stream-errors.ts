import { PlatformError } from '@platform/domain';

export interface EventStreamErrorContext {
  /** What we were doing, e.g. "send", "commit offsets". */
  readonly operation: string;
  readonly topic?: string;
  readonly groupId?: string;
  /** Kafka's name for the broker's error code, e.g. UNKNOWN_TOPIC_OR_PARTITION, when there was one. */
  readonly kafkaErrorType?: string;
}

/** An error from the event stream, classified: see `classifyKafkaError`. */
export abstract class EventStreamError extends PlatformError {
  readonly operation: string;
  readonly topic: string | undefined;
  readonly groupId: string | undefined;
  readonly kafkaErrorType: string | undefined;

  constructor(message: string, context: EventStreamErrorContext, cause?: unknown) {
    super(`${context.operation} failed${describeTarget(context)}: ${message}`, { cause });
    this.operation = context.operation;
    this.topic = context.topic;
    this.groupId = context.groupId;
    this.kafkaErrorType = context.kafkaErrorType;
  }
}

function describeTarget({ topic, groupId }: EventStreamErrorContext): string {
  const parts = [
    ...(topic === undefined ? [] : [`topic "${topic}"`]),
    ...(groupId === undefined ? [] : [`group "${groupId}"`]),
  ];
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`;
}

/**
 * The brokers are unreachable, slow, electing a leader or rebalancing the group, and the client's
 * own retries ran out: the same call may succeed later (back off, retry).
 */
export class EventStreamUnavailableError extends EventStreamError {
  readonly code = 'EVENT_STREAM_UNAVAILABLE';
  readonly retriable = true;
}

/** The broker or the client refused the request as given (invalid arguments, too large, not allowed). */
export class EventStreamRequestError extends EventStreamError {
  readonly code = 'EVENT_STREAM_REQUEST_REJECTED';
  readonly retriable = false;
}

/**
 * The topic (or partition) does not exist. Brokers do not auto-create topics here: create it with
 * `EventStreamAdmin.createTopics` (or infra/kafka/topics.sh) first.
 */
export class TopicNotFoundError extends EventStreamError {
  readonly code = 'TOPIC_NOT_FOUND';
  readonly retriable = false;
}

/** The consumer has not joined its group yet, or has stopped or crashed: nothing was committed. */
export class ConsumerNotRunningError extends EventStreamError {
  readonly code = 'CONSUMER_NOT_RUNNING';
  readonly retriable = false;
}
