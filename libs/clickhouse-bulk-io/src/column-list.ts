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
