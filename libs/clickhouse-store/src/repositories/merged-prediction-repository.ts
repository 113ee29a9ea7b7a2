import { type MergedPrediction } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { chunkInList } from '../sql/in-list-chunks';
import { quoteEntityId, sql, trustedSql } from '../sql/sql-literal';
import { toNumber, toNumbers } from './row-values';

interface MergedPredictionRow {
  model: string;
  entity_id: string;
  source: string;
  run_id: string;
  model_version: string;
  data_cutoff: string;
  event_id: string;
  event_time: string;
  outputs: (string | number)[];
  scored_at: string;
}

const COLUMNS = trustedSql(
  'model, entity_id, source, run_id, model_version, data_cutoff, event_id, event_time, outputs, scored_at',
);

function fromRow(row: MergedPredictionRow): MergedPrediction {
  const common = {
    model: row.model,
    entityId: row.entity_id,
    runId: row.run_id,
    modelVersion: row.model_version,
    dataCutoff: toNumber(row.data_cutoff),
    outputs: toNumbers(row.outputs),
    scoredAt: toNumber(row.scored_at),
  };
  return row.source === 'speed'
    ? { source: 'speed', ...common, eventId: row.event_id, eventTime: toNumber(row.event_time) }
    : { source: 'batch', ...common };
}

/** Reads the `predictions_latest` view: the merge rule evaluated by the engine. */
export class MergedPredictionRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  /** Merged predictions of the given entities; ids without one are absent from the result. */
  async get(model: string, entityIds: readonly string[]): Promise<MergedPrediction[]> {
    const literals = entityIds.map((id) => trustedSql(quoteEntityId(id)));
    const results: MergedPrediction[] = [];
    for (const chunk of chunkInList(literals)) {
      const rows = await this.engine.queryRows<MergedPredictionRow>(
        sql`SELECT ${COLUMNS} FROM ${this.engine.table('predictions_latest')}
            WHERE model = ${model} AND entity_id IN ${chunk}`,
        `read merged predictions of model ${model}`,
      );
      results.push(...rows.map(fromRow));
    }
    return results;
  }

  async list(model: string, limit = 10_000): Promise<MergedPrediction[]> {
    const rows = await this.engine.queryRows<MergedPredictionRow>(
      sql`SELECT ${COLUMNS} FROM ${this.engine.table('predictions_latest')}
          WHERE model = ${model} ORDER BY entity_id LIMIT ${limit}`,
      `list merged predictions of model ${model}`,
    );
    return rows.map(fromRow);
  }
}
