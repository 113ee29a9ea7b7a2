import { type ServingPointer, type ServingPointerAction } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql, trustedSql } from '../sql/sql-literal';
import { toNumber } from './row-values';

interface ServingPointerRow {
  model: string;
  run_id: string;
  model_version: string;
  data_cutoff: string;
  action: string;
  at: string;
  actor: string;
}

const COLUMNS = trustedSql('model, run_id, model_version, data_cutoff, action, at, actor');

function fromRow(row: ServingPointerRow): ServingPointer {
  return {
    model: row.model,
    runId: row.run_id,
    modelVersion: row.model_version,
    dataCutoff: toNumber(row.data_cutoff),
    action: row.action as ServingPointerAction,
    at: toNumber(row.at),
    actor: row.actor,
  };
}

/** The serving pointer: which run each model serves. Publish and rollback are one insert each. */
export class ServingPointerRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  /**
   * Appends a pointer row. `at` is made strictly greater than the model's latest pointer, so two
   * actions within one millisecond still have an order the view's argMax can see.
   */
  async append(pointer: Omit<ServingPointer, 'at'>, now: number = Date.now()): Promise<ServingPointer> {
    const latest = await this.current(pointer.model);
    const at = latest === undefined ? now : Math.max(now, latest.at + 1);
    const row = { ...pointer, at };
    await this.engine.insertRows(
      'serving_pointer',
      [
        {
          model: row.model,
          run_id: row.runId,
          model_version: row.modelVersion,
          data_cutoff: row.dataCutoff,
          action: row.action,
          at: row.at,
          actor: row.actor,
        },
      ],
      `${row.action} run ${row.runId} of model ${row.model}`,
    );
    return row;
  }

  async current(model: string): Promise<ServingPointer | undefined> {
    const rows = await this.engine.queryRows<ServingPointerRow>(
      sql`SELECT ${COLUMNS} FROM ${this.engine.table('serving_pointer')}
          WHERE model = ${model} ORDER BY at DESC LIMIT 1`,
      `read serving pointer of model ${model}`,
    );
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /** The current pointer of every model that has one. */
  async currentAll(): Promise<ServingPointer[]> {
    const rows = await this.engine.queryRows<ServingPointerRow>(
      sql`SELECT ${COLUMNS} FROM ${this.engine.table('serving_pointer')}
          ORDER BY model, at DESC LIMIT 1 BY model`,
      'read serving pointers',
    );
    return rows.map(fromRow);
  }

  /** Newest first. */
  async history(model: string, limit = 100): Promise<ServingPointer[]> {
    const rows = await this.engine.queryRows<ServingPointerRow>(
      sql`SELECT ${COLUMNS} FROM ${this.engine.table('serving_pointer')}
          WHERE model = ${model} ORDER BY at DESC LIMIT ${limit}`,
      `read serving pointer history of model ${model}`,
    );
    return rows.map(fromRow);
  }
}
