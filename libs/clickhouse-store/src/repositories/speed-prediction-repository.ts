import { type SpeedPrediction } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';
import { toNumber } from './row-values';

/** Incremental predictions of the speed layer. */
export class SpeedPredictionRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  async insert(rows: readonly SpeedPrediction[]): Promise<void> {
    await this.engine.insertRows(
      'speed_predictions',
      rows.map((row) => ({
        model: row.model,
        model_version: row.modelVersion,
        entity_id: row.entityId,
        event_id: row.eventId,
        event_time: row.eventTime,
        outputs: row.outputs,
        scored_at: row.scoredAt,
        source_topic: row.source.topic,
        source_partition: row.source.partition,
        source_offset: row.source.offset,
      })),
      `insert ${rows.length} speed predictions`,
    );
  }

  /** Raw row count: redeliveries not yet collapsed by a merge count more than once. */
  async countRows(model: string): Promise<number> {
    const rows = await this.engine.queryRows<{ rows: string }>(
      sql`SELECT count() AS rows FROM ${this.engine.table('speed_predictions')} WHERE model = ${model}`,
      `count speed predictions of model ${model}`,
    );
    return toNumber(rows[0]?.rows ?? 0);
  }
}
