import { type BatchPrediction } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';
import { toNumber, toNumbers } from './row-values';

interface BatchPredictionRow {
  model: string;
  run_id: string;
  entity_id: string;
  outputs: (string | number)[];
  scored_at: string;
}

/**
 * Rows of batch runs, one partition per run. Runs of real size are written through the bulk
 * columnar port; the row API here serves tests, tools and small corrections.
 */
export class BatchPredictionRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  /** `segmentValues`: the entity's segment values in the run's segment columns' order (none by default). */
  async insert(rows: readonly (BatchPrediction & { readonly segmentValues?: readonly string[] })[]): Promise<void> {
    await this.engine.insertRows(
      'batch_predictions',
      rows.map((row) => ({
        model: row.model,
        run_id: row.runId,
        entity_id: row.entityId,
        outputs: row.outputs,
        scored_at: row.scoredAt,
        segment_values: row.segmentValues ?? [],
      })),
      `insert ${rows.length} batch predictions`,
    );
  }

  async countByRun(runId: string): Promise<number> {
    const rows = await this.engine.queryRows<{ rows: string }>(
      sql`SELECT count() AS rows FROM ${this.engine.table('batch_predictions')} WHERE run_id = ${runId}`,
      `count rows of run ${runId}`,
    );
    return toNumber(rows[0]?.rows ?? 0);
  }

  async listByRun(runId: string, limit = 1000): Promise<BatchPrediction[]> {
    const rows = await this.engine.queryRows<BatchPredictionRow>(
      sql`SELECT model, run_id, entity_id, outputs, scored_at FROM ${this.engine.table('batch_predictions')}
          WHERE run_id = ${runId} ORDER BY model, entity_id LIMIT ${limit}`,
      `read rows of run ${runId}`,
    );
    return rows.map((row) => ({
      model: row.model,
      runId: row.run_id,
      entityId: row.entity_id,
      outputs: toNumbers(row.outputs),
      scoredAt: toNumber(row.scored_at),
    }));
  }

  /** Run ids that still have a partition. */
  async storedRunIds(): Promise<string[]> {
    const rows = await this.engine.queryRows<{ run_id: string }>(
      sql`SELECT DISTINCT run_id FROM ${this.engine.table('batch_predictions')} ORDER BY run_id`,
      'list stored runs',
    );
    return rows.map((row) => row.run_id);
  }

  /** Drops a run's partition: the whole run goes at once, without a mutation. */
  async dropRun(runId: string): Promise<void> {
    await this.engine.command(
      sql`ALTER TABLE ${this.engine.table('batch_predictions')} DROP PARTITION ${runId}`,
      `drop partition of run ${runId}`,
    );
  }
}
