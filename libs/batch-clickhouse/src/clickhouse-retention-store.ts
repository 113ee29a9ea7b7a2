import { type RetentionStore, type SpeedPartition, type TimePartition } from '@platform/batch-domain';
import { type ClickHouseEngine, sql, trustedSql } from '@platform/clickhouse-store';

/** Month partitions as the tables' PARTITION BY computes them (toYYYYMM of epoch-ms times). */
const month = (column: string) => trustedSql(`toYYYYMM(toDateTime(intDiv(${column}, 1000)))`);

/** Partitions retention reads and drops, on both engines. */
export class ClickHouseRetentionStore implements RetentionStore {
  constructor(private readonly engine: ClickHouseEngine) {}

  async speedPartitions(): Promise<SpeedPartition[]> {
    const rows = await this.engine.queryRows<{ partition: number; model: string; newest: string }>(
      sql`SELECT ${month('event_time')} AS partition, model, max(event_time) AS newest
          FROM ${this.engine.table('speed_predictions')} GROUP BY partition, model ORDER BY partition`,
      'list speed prediction partitions',
    );
    const byPartition = new Map<string, Map<string, number>>();
    for (const row of rows) {
      const partition = String(row.partition);
      const models = byPartition.get(partition) ?? new Map<string, number>();
      models.set(row.model, Number(row.newest));
      byPartition.set(partition, models);
    }
    return [...byPartition].map(([partition, newestEventTimeByModel]) => ({ partition, newestEventTimeByModel }));
  }

  dropSpeedPartition(partition: string): Promise<void> {
    return this.dropMonth('speed_predictions', partition);
  }

  async runsWithRejects(): Promise<string[]> {
    const rows = await this.engine.queryRows<{ run_id: string }>(sql`SELECT DISTINCT run_id FROM ${this.engine.table('batch_rejects')}`, 'list runs with rejects');
    return rows.map((row) => row.run_id);
  }

  dropRejects(runId: string): Promise<void> {
    return this.engine.command(sql`ALTER TABLE ${this.engine.table('batch_rejects')} DROP PARTITION ${runId}`, `drop the rejects of run ${runId}`);
  }

  async auditPartitions(): Promise<TimePartition[]> {
    const rows = await this.engine.queryRows<{ partition: number; newest: string }>(
      sql`SELECT ${month('at')} AS partition, max(at) AS newest FROM ${this.engine.table('audit_log')} GROUP BY partition ORDER BY partition`,
      'list audit log partitions',
    );
    return rows.map((row) => ({ partition: String(row.partition), newest: Number(row.newest) }));
  }

  dropAuditPartition(partition: string): Promise<void> {
    return this.dropMonth('audit_log', partition);
  }

  private dropMonth(table: string, partition: string): Promise<void> {
    const yyyymm = Number(partition);
    if (!Number.isInteger(yyyymm)) throw new RangeError(`not a month partition of ${table}: ${JSON.stringify(partition)}`);
    return this.engine.command(sql`ALTER TABLE ${this.engine.table(table)} DROP PARTITION ${yyyymm}`, `drop partition ${partition} of ${table}`);
  }
}
