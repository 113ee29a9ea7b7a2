import { type ColumnSpec } from '@platform/columnar';

/**
 * The bulk port's view of the tables the migrations create, in one place so every reader and writer
 * names the same types; `columnsOf` picks the ones a statement reads or writes, in the order given.
 * The integration test holds these lists to `system.columns` on both engines.
 */
export const TABLE_COLUMNS = {
  batch_predictions: [
    { name: 'model', type: 'String' },
    { name: 'run_id', type: 'String' },
    { name: 'entity_id', type: 'String' },
    { name: 'outputs', type: 'Array(Float32)' },
    { name: 'scored_at', type: 'UInt64' },
    { name: 'segment_values', type: 'Array(String)' },
  ],
  speed_predictions: [
    { name: 'model', type: 'String' },
    { name: 'model_version', type: 'String' },
    { name: 'entity_id', type: 'String' },
    { name: 'event_id', type: 'String' },
    { name: 'event_time', type: 'UInt64' },
    { name: 'outputs', type: 'Array(Float32)' },
    { name: 'scored_at', type: 'UInt64' },
    { name: 'source_topic', type: 'String' },
    { name: 'source_partition', type: 'Int32' },
    { name: 'source_offset', type: 'Int64' },
  ],
  feature_events: [
    { name: 'model', type: 'String' },
    { name: 'entity_id', type: 'String' },
    { name: 'event_id', type: 'String' },
    { name: 'event_time', type: 'UInt64' },
    { name: 'numeric_names', type: 'Array(String)' },
    { name: 'numeric_values', type: 'Array(Float64)' },
    { name: 'categorical_names', type: 'Array(String)' },
    { name: 'categorical_values', type: 'Array(String)' },
    { name: 'source_topic', type: 'String' },
    { name: 'source_partition', type: 'Int32' },
    { name: 'source_offset', type: 'Int64' },
    { name: 'ingested_at', type: 'UInt64' },
  ],
} as const satisfies Record<string, readonly ColumnSpec[]>;

export type BulkTable = keyof typeof TABLE_COLUMNS;
export type ColumnName<T extends BulkTable> = (typeof TABLE_COLUMNS)[T][number]['name'];

/** The named columns of a table, in the order given (the order of the statement's column list). */
export function columnsOf<T extends BulkTable>(table: T, names: readonly ColumnName<T>[]): readonly ColumnSpec[] {
  const columns: readonly ColumnSpec[] = TABLE_COLUMNS[table];
  return names.map((name) => {
    const column = columns.find((candidate) => candidate.name === name);
    if (column === undefined) throw new Error(`${table} has no column ${name}`);
    return column;
  });
}
