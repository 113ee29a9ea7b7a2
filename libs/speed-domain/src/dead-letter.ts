import { z } from 'zod';
import { type EpochMs, InvalidInputError, type SourceOffset } from '@platform/domain';
import { describeIssues } from './issue-detail';

/**
 * A dead letter is the rejected message itself — same key, value bytes untouched — with the
 * reason and its origin in headers. Not base64 in a JSON envelope: that adds a third, so a message
 * near the broker's size limit could not be dead-lettered; and the same key keeps an entity's
 * messages together, the untouched bytes make a replay exact.
 */
export const DEAD_LETTER_FORMAT = 'dead-letter/v1';

/**
 * Why a message went to the dead-letter topic, in the order `validateFeatureEvent` checks them
 * (the first that applies is reported). Value types against the manifest are checked after
 * `unknown-feature` and also reported as `schema`.
 */
export const DEAD_LETTER_REASONS = [
  'empty',
  'not-json',
  'schema',
  'entity-id-too-long',
  'unknown-model',
  'unknown-feature',
  'event-time-in-future',
] as const;

export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

export interface DeadLetterCause {
  readonly reason: DeadLetterReason;
  /** Names the field(s) at fault; at most MAX_DETAIL_CHARS characters. */
  readonly detail: string;
}

/** Header names starting with this are ours; a rejected message's own headers with it are not kept. */
export const DEAD_LETTER_HEADER_PREFIX = 'dlq-';

export const DEAD_LETTER_HEADERS = {
  format: 'dlq-format',
  reason: 'dlq-reason',
  detail: 'dlq-detail',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  failedAt: 'dlq-failed-at',
  // The event stream sends no null values: a tombstone goes out as an empty value marked by this.
  tombstone: 'dlq-tombstone',
} as const;

/** The message as consumed; the event stream's `ConsumedMessage` is one. */
export interface RejectedMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

/** What to send to the dead-letter topic; the event stream's `OutgoingMessage` accepts it. */
export interface DeadLetterMessage {
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

/** A dead letter read back, e.g. to replay it: the original message and why it was refused. */
export interface DeadLetter extends DeadLetterCause {
  readonly source: SourceOffset;
  readonly failedAt: EpochMs;
  readonly key: Buffer | null;
  /** Null for a tombstone. */
  readonly value: Buffer | null;
  /** The original message's headers. */
  readonly headers: Readonly<Record<string, string>>;
}

export class InvalidDeadLetterError extends InvalidInputError {
  override readonly code = 'INVALID_DEAD_LETTER';
}

const EMPTY = Buffer.alloc(0);

export function buildDeadLetterMessage(
  message: RejectedMessage,
  cause: DeadLetterCause,
  failedAt: EpochMs,
): DeadLetterMessage {
  return {
    key: message.key,
    value: message.value ?? EMPTY,
    headers: {
      ...originalHeaders(message.headers),
      [DEAD_LETTER_HEADERS.format]: DEAD_LETTER_FORMAT,
      [DEAD_LETTER_HEADERS.reason]: cause.reason,
      [DEAD_LETTER_HEADERS.detail]: cause.detail,
      [DEAD_LETTER_HEADERS.sourceTopic]: message.topic,
      [DEAD_LETTER_HEADERS.sourcePartition]: String(message.partition),
      [DEAD_LETTER_HEADERS.sourceOffset]: message.offset,
      [DEAD_LETTER_HEADERS.failedAt]: String(failedAt),
      ...(message.value === null ? { [DEAD_LETTER_HEADERS.tombstone]: 'true' } : {}),
    },
  };
}

const DECIMAL = /^(0|[1-9]\d*)$/;
const decimalNumber = z.string().regex(DECIMAL, 'expected a non-negative decimal integer').transform(Number).pipe(z.int());

const deadLetterHeadersSchema = z.object({
  [DEAD_LETTER_HEADERS.format]: z.literal(DEAD_LETTER_FORMAT),
  [DEAD_LETTER_HEADERS.reason]: z.enum(DEAD_LETTER_REASONS),
  [DEAD_LETTER_HEADERS.detail]: z.string(),
  [DEAD_LETTER_HEADERS.sourceTopic]: z.string().min(1),
  [DEAD_LETTER_HEADERS.sourcePartition]: decimalNumber,
  // Offsets are int64: they stay decimal strings, exact beyond 2^53.
  [DEAD_LETTER_HEADERS.sourceOffset]: z.string().regex(DECIMAL, 'expected a non-negative decimal integer'),
  [DEAD_LETTER_HEADERS.failedAt]: decimalNumber,
  [DEAD_LETTER_HEADERS.tombstone]: z.literal('true').optional(),
});

/** Reads a message of the dead-letter topic back; throws `InvalidDeadLetterError` naming every bad header. */
export function parseDeadLetterMessage(message: Pick<RejectedMessage, 'key' | 'value' | 'headers'>): DeadLetter {
  const parsed = deadLetterHeadersSchema.safeParse(message.headers);
  if (!parsed.success) {
    throw new InvalidDeadLetterError(`not a ${DEAD_LETTER_FORMAT} message: ${describeIssues(parsed.error.issues, 'headers')}`);
  }
  const headers = parsed.data;
  const tombstone = headers[DEAD_LETTER_HEADERS.tombstone] !== undefined;
  if (tombstone && message.value !== null && message.value.length > 0) {
    throw new InvalidDeadLetterError(`a ${DEAD_LETTER_FORMAT} message marked as a tombstone has a value`);
  }
  return {
    reason: headers[DEAD_LETTER_HEADERS.reason],
    detail: headers[DEAD_LETTER_HEADERS.detail],
    source: {
      topic: headers[DEAD_LETTER_HEADERS.sourceTopic],
      partition: headers[DEAD_LETTER_HEADERS.sourcePartition],
      offset: headers[DEAD_LETTER_HEADERS.sourceOffset],
    },
    failedAt: headers[DEAD_LETTER_HEADERS.failedAt],
    key: message.key,
    value: tombstone ? null : (message.value ?? EMPTY),
    headers: originalHeaders(message.headers),
  };
}

// fromEntries, not assignment: a header named __proto__ stays a header.
function originalHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith(DEAD_LETTER_HEADER_PREFIX)));
}
