import { type ColumnBatch, type ColumnSpec } from './column-types';

export interface BulkReadRequest {
  /** A SELECT (no FORMAT, no SETTINGS): read as a subquery, so any query the engine runs works. */
  readonly query: string;
  /** The columns to read, in order; names and types must match what the query returns. */
  readonly columns: readonly ColumnSpec[];
  /**
   * Rows of a yielded batch: at most this many and, but for the last, at least half, whatever blocks
   * the engine sends. Memory stays bounded by it, not by the result, and the consumer's per-batch
   * costs are paid once per about this many rows.
   */
  readonly rowsPerBatch: number;
}

export interface BulkWriteRequest {
  /** Fully qualified, quoted table name. */
  readonly table: string;
  readonly columns: readonly ColumnSpec[];
  readonly batches: AsyncIterable<ColumnBatch> | Iterable<ColumnBatch>;
}

export interface BulkWriteResult {
  readonly rows: number;
}

/**
 * The bulk columnar port: large reads and writes as typed arrays, never as JSON rows. One adapter
 * per engine, each on the fastest path that engine offers and exact for NaN, -0, infinities and
 * non-UTF-8 strings.
 */
export interface BulkColumnarIo {
  read(request: BulkReadRequest): AsyncIterable<ColumnBatch>;
  write(request: BulkWriteRequest): Promise<BulkWriteResult>;
}
