import { type SpeedPrediction } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';
import { toNumber, toNumbers } from './row-values';

interface SpeedPredictionRow {
  model: string;
  model_version: string;
  entity_id: string;
  event_id: string;
  event_time: string;
  outputs: (string | number)[];
  scored_at: string;
  source_topic: string;
  source_partition: number;
  source_offset: string;
}

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

  /** An entity's speed predictions by event time, one row per event and model version. */
  async listByEntity(model: string, entityId: string): Promise<SpeedPrediction[]> {
    const rows = await this.engine.queryRows<SpeedPredictionRow>(
      sql`SELECT * FROM ${this.engine.table('speed_predictions')}
          WHERE model = ${model} AND entity_id = ${entityId}
          ORDER BY event_time, event_id, model_version LIMIT 1 BY event_id, model_version`,
      `read speed predictions of entity ${JSON.stringify(entityId)} of model ${model}`,
    );
    return rows.map((row) => ({
      model: row.model,
      modelVersion: row.model_version,
      entityId: row.entity_id,
      eventId: row.event_id,
      eventTime: toNumber(row.event_time),
      outputs: toNumbers(row.outputs),
      scoredAt: toNumber(row.scored_at),
      source: { topic: row.source_topic, partition: row.source_partition, offset: row.source_offset },
    }));
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
