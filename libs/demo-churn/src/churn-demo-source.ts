import { type ClickHouseEngine } from '@platform/clickhouse-store';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import { type ColumnBatch, type ColumnSpec, type ColumnValues, stringColumn } from '@platform/columnar';
import { CHURN_FEATURES } from './churn-features';
import { type ChurnChunk, DEFAULT_CHUNK_ROWS, generateChurnChunk } from './churn-generator';

/**
 * The demo source a churn deployment reads: one row per customer with its features as a data
 * team would store them (categories as text, '' when missing; numbers as Float32, NaN when
 * missing), keyed by entity id, versioned by `updated_at` (epoch ms).
 */
export const CHURN_SOURCE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'entity_id', type: 'String' },
  { name: 'updated_at', type: 'UInt64' },
  ...CHURN_FEATURES.map((feature): ColumnSpec => ({ name: feature.name, type: feature.type === 'numeric' ? 'Float32' : 'String' })),
];

export function churnSourceTableDdl(qualifiedTable: string): string {
  const columns = CHURN_SOURCE_COLUMNS.map((column) => `${column.name} ${column.type}`).join(', ');
  // Replacing on updated_at: a newer row of an entity supersedes the older one on merge.
  return `CREATE TABLE IF NOT EXISTS ${qualifiedTable} (${columns}) ENGINE = ReplacingMergeTree(updated_at) ORDER BY entity_id`;
}

function sourceBatch(chunk: ChurnChunk, updatedAt: number): ColumnBatch {
  const columns: Record<string, ColumnValues> = {
    entity_id: stringColumn(chunk.entityIds),
    updated_at: new BigUint64Array(chunk.rowCount).fill(BigInt(updatedAt)),
  };
  for (const feature of CHURN_FEATURES) {
    const values = chunk.features[feature.name];
    if (feature.type === 'numeric') {
      columns[feature.name] = values as Float32Array;
    } else {
      const categories: readonly string[] = feature.categories;
      columns[feature.name] = stringColumn(Array.from(values as Int32Array, (code) => categories[code] ?? ''));
    }
  }
  return { rowCount: chunk.rowCount, columns };
}

export interface ChurnDemoSourceOptions {
  /** Fully qualified, quoted table name. */
  readonly table: string;
  readonly rows: number;
  readonly seed: number;
  readonly updatedAt: number;
  readonly chunkRows?: number;
  /** Called after each chunk is generated, with rows so far. */
  readonly onProgress?: (rowsWritten: number) => void;
}

/** Creates the demo source table if absent and streams `rows` synthetic customers into it. */
export async function writeChurnDemoSource(engine: ClickHouseEngine, options: ChurnDemoSourceOptions): Promise<number> {
  await engine.command(churnSourceTableDdl(options.table), `create demo source ${options.table}`);
  const chunkRows = options.chunkRows ?? DEFAULT_CHUNK_ROWS;
  let generated = 0;
  function* batches(): Generator<ColumnBatch> {
    for (let start = 0; start < options.rows; start += chunkRows) {
      const rows = Math.min(chunkRows, options.rows - start);
      yield sourceBatch(generateChurnChunk(options.seed, start, rows), options.updatedAt);
      generated += rows;
      options.onProgress?.(generated);
    }
  }
  const { rows } = await bulkColumnarIoFor(engine).write({ table: options.table, columns: CHURN_SOURCE_COLUMNS, batches: batches() });
  return rows;
}
