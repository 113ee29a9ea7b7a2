import { type ModelRegistryRecord, type ModelRegistryRecords, type ModelVersionState } from '@platform/model-package';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';
import { toNumber } from './row-values';

interface ModelRegistryRow {
  model: string;
  version: string;
  state: string;
  content_hash: string;
  at: string;
  actor: string;
}

/** Model registry records in ClickHouse (the registry's use cases live in libs/model-package). */
export class ModelRegistryRepository implements ModelRegistryRecords {
  constructor(private readonly engine: ClickHouseEngine) {}

  async append(records: readonly ModelRegistryRecord[]): Promise<void> {
    await this.engine.insertRows(
      'model_registry',
      records.map((record) => ({
        model: record.model,
        version: record.version,
        state: record.state,
        content_hash: record.contentHash,
        at: record.at,
        actor: record.actor,
      })),
      `record ${records.map((r) => `${r.model}@${r.version} ${r.state}`).join(', ')}`,
    );
  }

  async history(model: string): Promise<ModelRegistryRecord[]> {
    const rows = await this.engine.queryRows<ModelRegistryRow>(
      sql`SELECT model, version, state, content_hash, at, actor FROM ${this.engine.table('model_registry')}
          WHERE model = ${model} ORDER BY at, version`,
      `read registry history of model ${model}`,
    );
    return rows.map((row) => ({
      model: row.model,
      version: row.version,
      state: row.state as ModelVersionState,
      contentHash: row.content_hash,
      at: toNumber(row.at),
      actor: row.actor,
    }));
  }

  async models(): Promise<string[]> {
    const rows = await this.engine.queryRows<{ model: string }>(
      sql`SELECT DISTINCT model FROM ${this.engine.table('model_registry')} ORDER BY model`,
      'list registered models',
    );
    return rows.map((row) => row.model);
  }
}
