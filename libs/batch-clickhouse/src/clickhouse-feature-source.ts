import { type Deployment, type FeatureSource, type SourceChunk, type SourceSnapshot } from '@platform/batch-domain';
import { type ClickHouseEngine } from '@platform/clickhouse-store';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import { type BulkColumnarIo, type StringColumn } from '@platform/columnar';
import { type FeatureColumns, type ModelManifest } from '@platform/model-package';
import {
  ENTITY_ID_COLUMN,
  FEATURE_PREFIX,
  float32FeaturesOf,
  maxEventTimeQuery,
  rawRowCountQuery,
  readPlanOf,
  SEGMENT_PREFIX,
  sourceColumnTypesQuery,
  sourceCountQuery,
  sourceQuery,
  type SourceQuery,
} from './source-query';

/** A deployment's source in ClickHouse, read through the bulk columnar port. */
export class ClickHouseFeatureSource implements FeatureSource {
  private readonly bulk: BulkColumnarIo;

  constructor(private readonly engine: ClickHouseEngine) {
    this.bulk = bulkColumnarIoFor(engine);
  }

  async snapshot(deployment: Deployment, manifest: ModelManifest, now: number): Promise<SourceSnapshot> {
    const dataCutoff = await this.resolveCutoff(deployment, now);
    const shardCount = await this.shardCount(deployment, dataCutoff);
    const total = { rows: 0, baseRows: 0, eventRows: 0 };
    // Every shard's count has the same columns: base and event rows for an unfiltered snapshot only.
    let sidesCounted = false;
    for (let index = 0; index < shardCount; index++) {
      const [count] = await this.engine.queryRows<{ rows: string; base_rows?: string; event_rows?: string }>(
        sourceCountQuery(deployment, manifest, this.engine.database, dataCutoff, { index, count: shardCount }),
        `count the source of model ${deployment.model} (shard ${index + 1} of ${shardCount})`,
      );
      total.rows += Number(count?.rows ?? 0);
      sidesCounted = count?.base_rows !== undefined;
      total.baseRows += Number(count?.base_rows ?? 0);
      total.eventRows += Number(count?.event_rows ?? 0);
    }
    const readPlan = readPlanOf(deployment, sidesCounted ? total : { rows: total.rows });
    // Shards bound the memory of a sort; rows read as they are stream in one query.
    return { dataCutoff, rowCount: total.rows, shardCount: readPlan === 'base-rows' ? 1 : shardCount, readPlan };
  }

  async *read(deployment: Deployment, manifest: ModelManifest, snapshot: SourceSnapshot): AsyncGenerator<SourceChunk> {
    const { dataCutoff, readPlan, shardCount } = snapshot;
    const float32Features = float32FeaturesOf(deployment, manifest, readPlan, await this.sourceColumnTypes(deployment));
    for (let index = 0; index < shardCount; index++) {
      const reading = { dataCutoff, readPlan, shard: { index, count: shardCount }, float32Features };
      yield* this.readShard(deployment, manifest, sourceQuery(deployment, manifest, this.engine.database, reading));
    }
  }

  private async sourceColumnTypes(deployment: Deployment): Promise<Map<string, string>> {
    const query = sourceColumnTypesQuery(deployment, this.engine.database);
    if (query === null) return new Map();
    const columns = await this.engine.queryRows<{ name: string; type: string }>(query, `list the source columns of model ${deployment.model}`);
    return new Map(columns.map(({ name, type }) => [name, type]));
  }

  private async *readShard(deployment: Deployment, manifest: ModelManifest, query: SourceQuery): AsyncGenerator<SourceChunk> {
    for await (const batch of this.bulk.read({ query: query.sql, columns: query.columns, rowsPerBatch: deployment.chunkRows })) {
      const features: Record<string, FeatureColumns[string]> = {};
      for (const feature of manifest.features) features[feature.name] = batch.columns[FEATURE_PREFIX + feature.name] as FeatureColumns[string];
      const segments: Record<string, StringColumn> = {};
      for (const segment of deployment.segmentColumns) segments[segment] = batch.columns[SEGMENT_PREFIX + segment] as StringColumn;
      yield { rowCount: batch.rowCount, entityIds: batch.columns[ENTITY_ID_COLUMN] as StringColumn, features, segments };
    }
  }

  /** One shard per `snapshotShardRows` rows under the cut-off (before de-duplication: an upper bound). */
  private async shardCount(deployment: Deployment, dataCutoff: number): Promise<number> {
    const query = rawRowCountQuery(deployment, this.engine.database, dataCutoff);
    if (query === null) return 1;
    const [count] = await this.engine.queryRows<{ rows: string }>(query, `size the snapshot of model ${deployment.model}`);
    return Math.max(1, Math.ceil(Number(count?.rows ?? 0) / deployment.snapshotShardRows));
  }

  private async resolveCutoff(deployment: Deployment, now: number): Promise<number> {
    if (typeof deployment.dataCutoff === 'number') return deployment.dataCutoff;
    if (deployment.dataCutoff === 'now') return now;
    const [row] = await this.engine.queryRows<{ max_event_time: string }>(
      maxEventTimeQuery(deployment, this.engine.database),
      `find the latest event time of model ${deployment.model}'s source`,
    );
    return Number(row?.max_event_time ?? 0);
  }
}
