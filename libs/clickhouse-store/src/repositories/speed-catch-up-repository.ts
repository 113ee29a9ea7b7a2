import { type EpochMs } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';

export interface SpeedCatchUpRecord {
  readonly model: string;
  /** The serving pointer row (its `at`) the catch-up followed. */
  readonly pointerAt: EpochMs;
  readonly runId: string;
  readonly modelVersion: string;
  readonly dataCutoff: EpochMs;
  readonly entities: number;
  /** When it finished. */
  readonly at: EpochMs;
}

/** Catch-ups the speed layer finished, by the pointer they followed. */
export class SpeedCatchUpRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  async record(entry: SpeedCatchUpRecord): Promise<void> {
    await this.engine.insertRows(
      'speed_catch_ups',
      [
        {
          model: entry.model,
          pointer_at: entry.pointerAt,
          run_id: entry.runId,
          model_version: entry.modelVersion,
          data_cutoff: entry.dataCutoff,
          entities: entry.entities,
          at: entry.at,
        },
      ],
      `record the catch-up of model ${entry.model} after pointer ${entry.pointerAt}`,
    );
  }

  /** When the first catch-up after this pointer row finished; undefined when none did. */
  async firstFinishedAt(model: string, pointerAt: EpochMs): Promise<EpochMs | undefined> {
    const rows = await this.engine.queryRows<{ first: string; n: string }>(
      sql`SELECT min(at) AS first, count() AS n FROM ${this.engine.table('speed_catch_ups')} WHERE model = ${model} AND pointer_at = ${pointerAt}`,
      `read catch-ups of model ${model}`,
    );
    return rows[0] === undefined || rows[0].n === '0' ? undefined : Number(rows[0].first);
  }
}
