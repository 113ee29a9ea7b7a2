import { PlatformError } from '@platform/domain';
import { StoreQueryError, type StoreError, type StoreErrorContext, StoreUnavailableError } from './store-errors';

/**
 * ClickHouse error codes after which the same statement can succeed later: overload, timeouts,
 * network, memory pressure, replication and part-count back-pressure.
 */
const RETRIABLE_CLICKHOUSE_CODES = new Set([
  3, // UNEXPECTED_END_OF_FILE (connection cut mid-response)
  159, // TIMEOUT_EXCEEDED
  160, // TOO_SLOW
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  285, // TOO_FEW_LIVE_REPLICAS
  286, // UNSATISFIED_QUORUM_FOR_PREVIOUS_WRITE
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  473, // DEADLOCK_AVOIDED
  999, // KEEPER_EXCEPTION
]);

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Messages of transport failures that carry no error code (client timeouts, cut sockets). */
const TRANSPORT_FAILURE_MESSAGE = /socket hang up|Timeout error|timed out|ECONNREFUSED|ECONNRESET|EPIPE|other side closed/i;

const CODE_IN_MESSAGE = /Code:\s*(\d+)/;

function clickhouseCodeOf(error: Record<string, unknown>, message: string): number | undefined {
  // chDB errors carry `clickhouseCode`; @clickhouse/client's ClickHouseError carries `code` as text.
  if (typeof error['clickhouseCode'] === 'number') return error['clickhouseCode'];
  if (typeof error['code'] === 'string' && /^\d+$/.test(error['code'])) return Number(error['code']);
  const match = CODE_IN_MESSAGE.exec(message);
  return match ? Number(match[1]) : undefined;
}

function isTransportFailure(error: Record<string, unknown>, message: string): boolean {
  const code = error['code'];
  if (typeof code === 'string' && NETWORK_ERROR_CODES.has(code)) return true;
  const cause = error['cause'];
  if (cause instanceof Error && isTransportFailure(cause as unknown as Record<string, unknown>, cause.message)) {
    return true;
  }
  // chDB's own watchdog.
  if (error['code'] === 'CHDB_TIMEOUT') return true;
  return TRANSPORT_FAILURE_MESSAGE.test(message);
}

/**
 * One classifier for both engines: @clickhouse/client and chDB share no error classes, so the
 * decision keys on ClickHouse's numeric code and on transport failures. Errors that are already
 * ours pass through unchanged.
 */
export function classifyStoreError(
  error: unknown,
  context: Omit<StoreErrorContext, 'clickhouseCode'>,
): StoreError | PlatformError {
  if (error instanceof PlatformError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const fields = (typeof error === 'object' && error !== null ? error : {}) as Record<string, unknown>;
  const clickhouseCode = clickhouseCodeOf(fields, message);
  const fullContext: StoreErrorContext =
    clickhouseCode === undefined ? context : { ...context, clickhouseCode };
  const firstLine = message.split('\n', 1)[0] ?? message;
  if (clickhouseCode !== undefined) {
    return RETRIABLE_CLICKHOUSE_CODES.has(clickhouseCode)
      ? new StoreUnavailableError(firstLine, fullContext, error)
      : new StoreQueryError(firstLine, fullContext, error);
  }
  return isTransportFailure(fields, message)
    ? new StoreUnavailableError(firstLine, fullContext, error)
    : new StoreQueryError(firstLine, fullContext, error);
}
