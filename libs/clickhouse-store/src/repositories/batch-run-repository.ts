import { type BatchRunRecord, type BatchRunStatus } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql, trustedSql } from '../sql/sql-literal';
import { toNumber } from './row-values';

interface BatchRunRow {
  run_id: string;
  model: string;
  model_version: string;
  status: string;
  started_at: string;
  finished_at: string;
  updated_at: string;
  row_count: string;
  data_cutoff: string;
  report: string;
  error: string;
}

const COLUMNS = trustedSql(
  'run_id, model, model_version, status, started_at, finished_at, updated_at, row_count, data_cutoff, report, error',
);

function fromRow(row: BatchRunRow): BatchRunRecord {
  return {
    runId: row.run_id,
    model: row.model,
    modelVersion: row.model_version,
    status: row.status as BatchRunStatus,
    startedAt: toNumber(row.started_at),
    finishedAt: toNumber(row.finished_at),
    updatedAt: toNumber(row.updated_at),
    rows: toNumber(row.row_count),
    dataCutoff: toNumber(row.data_cutoff),
    report: row.report,
    error: row.error,
  };
}

/** Batch runs as a log of state changes; a run's state is its latest record. */
export class BatchRunRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  async record(run: BatchRunRecord): Promise<void> {
    await this.engine.insertRows(
      'batch_runs',
      [
        {
          run_id: run.runId,
          model: run.model,
          model_version: run.modelVersion,
          status: run.status,
          started_at: run.startedAt,
          finished_at: run.finishedAt,
          updated_at: run.updatedAt,
          row_count: run.rows,
          data_cutoff: run.dataCutoff,
          report: run.report,
          error: run.error,
        },
      ],
      `record run ${run.runId} of model ${run.model} as ${run.status}`,
    );
  }

  async get(runId: string): Promise<BatchRunRecord | undefined> {
    const rows = await this.engine.queryRows<BatchRunRow>(
      sql`SELECT ${COLUMNS} FROM ${this.engine.table('batch_runs')}
          WHERE run_id = ${runId} ORDER BY updated_at DESC LIMIT 1`,
      `read run ${runId}`,
    );
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /** Latest state of each run of a model, newest run first. */
  async list(model: string, limit = 100): Promise<BatchRunRecord[]> {
    const rows = await this.engine.queryRows<BatchRunRow>(
      sql`SELECT ${COLUMNS} FROM
          (SELECT ${COLUMNS} FROM ${this.engine.table('batch_runs')}
           WHERE model = ${model} ORDER BY updated_at DESC LIMIT 1 BY run_id)
          ORDER BY started_at DESC, run_id DESC LIMIT ${limit}`,
      `list runs of model ${model}`,
    );
    return rows.map(fromRow);
  }
}
