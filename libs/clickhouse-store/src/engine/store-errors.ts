import { PlatformError } from '@platform/domain';

export interface StoreErrorContext {
  /** What we were doing, e.g. "insert into speed_predictions". */
  readonly operation: string;
  /** The engine the error came from. */
  readonly engine: 'server' | 'chdb';
  /** ClickHouse's numeric error code, when the engine gave one. */
  readonly clickhouseCode?: number;
}

/** An error from a ClickHouse engine, classified: see `classifyStoreError`. */
export abstract class StoreError extends PlatformError {
  readonly operation: string;
  readonly engine: 'server' | 'chdb';
  readonly clickhouseCode: number | undefined;

  constructor(message: string, context: StoreErrorContext, cause: unknown) {
    super(`${context.operation} failed on ${context.engine}: ${message}`, { cause });
    this.operation = context.operation;
    this.engine = context.engine;
    this.clickhouseCode = context.clickhouseCode;
  }
}

/** The engine is down, overloaded or timed out: the same call may succeed later (back off, retry). */
export class StoreUnavailableError extends StoreError {
  readonly code = 'STORE_UNAVAILABLE';
  readonly retriable = true;
}

/** The engine refused the statement (syntax, schema, types, data): retrying will not help. */
export class StoreQueryError extends StoreError {
  readonly code = 'STORE_QUERY';
  readonly retriable = false;
}
