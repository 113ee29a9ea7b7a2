import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';
import { toNumber } from './row-values';

/** A table's active data parts: what "too many parts" (Code 252) counts, per partition. */
export interface TableParts {
  readonly table: string;
  readonly activeParts: number;
  /** The server refuses inserts once one partition holds parts_to_throw_insert (300 by default). */
  readonly maxPartsPerPartition: number;
}

/** Active parts of the platform's tables (its database's MergeTree family), from `system.parts`. */
export class TablePartsRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  async activeParts(): Promise<TableParts[]> {
    const rows = await this.engine.queryRows<{ table: string; active_parts: string; max_parts_per_partition: string }>(
      sql`SELECT table, sum(parts) AS active_parts, max(parts) AS max_parts_per_partition
          FROM (SELECT table, partition, count() AS parts FROM system.parts
                WHERE database = ${this.engine.database} AND active GROUP BY table, partition)
          GROUP BY table ORDER BY table`,
      `count active parts of database ${this.engine.database}`,
    );
    return rows.map((row) => ({ table: row.table, activeParts: toNumber(row.active_parts), maxPartsPerPartition: toNumber(row.max_parts_per_partition) }));
  }
}
