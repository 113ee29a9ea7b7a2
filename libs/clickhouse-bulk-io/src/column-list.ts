import { type ColumnSpec } from '@platform/columnar';
import { quoteIdentifier } from '@platform/clickhouse-store';

/** `a`, `b`, ... for a SELECT or an INSERT column list. */
export function columnList(specs: readonly ColumnSpec[]): string {
  return specs.map((spec) => quoteIdentifier(spec.name)).join(', ');
}

/** `a` String, `b` Float32, ... for a table function's structure argument. */
export function columnStructure(specs: readonly ColumnSpec[]): string {
  return specs.map((spec) => `${quoteIdentifier(spec.name)} ${spec.type}`).join(', ');
}

/**
 * Reads the request's query as a subquery, casting nothing: the adapters check that the engine
 * returns exactly the requested types, so a mismatch is an error, not a silent conversion.
 */
export function selectColumns(query: string, specs: readonly ColumnSpec[]): string {
  return `SELECT ${columnList(specs)} FROM (${query})`;
}

/**
 * Engine blocks of the requested row count. MergeTree reads also cut blocks at about 1 MB
 * (preferred_block_size_bytes: 8,192 rows of a wide table) whatever max_block_size asks; the
 * adapters re-cut blocks anyway, but an engine block per batch spares a merge copy.
 */
export function blockSizeSettings(rows: number): { max_block_size: string; preferred_block_size_bytes: string } {
  return { max_block_size: String(Math.max(1, Math.floor(rows))), preferred_block_size_bytes: String(1 << 30) };
}
