import { type Deployment, sourceColumnOf } from '@platform/batch-domain';
import { quoteArray, quoteIdentifier, quoteNumber } from '@platform/clickhouse-store';
import { type ColumnSpec } from '@platform/columnar';
import { CATEGORY_MISSING, type ModelManifest } from '@platform/model-package';

/**
 * The SQL a deployment's source reads, in the subset ClickHouse 18.16 and chDB 26.x both run.
 * Categories become codes in the engine (indexOf over the manifest's categories), so no string
 * per row reaches the scorer; numbers arrive as Float64 with NaN for missing.
 */

// Output names never equal source column names: ClickHouse resolves an alias before a column of the
// same name, so `toInt32(...) AS region` would turn a later `region` into the code.
export const ENTITY_ID_COLUMN = '__entity_id';
export const FEATURE_PREFIX = '__feature_';
export const SEGMENT_PREFIX = '__segment_';

function column(name: string): string {
  return quoteIdentifier(name);
}

/** One of `count` disjoint parts of the snapshot, by a hash of the entity key. */
export interface SourceShard {
  readonly index: number;
  readonly count: number;
}

const WHOLE: SourceShard = { index: 0, count: 1 };

/** Rows of the source under the cut-off and the filter: one row per entity, source columns as they are. */
export function sourceRelation(deployment: Deployment, database: string, dataCutoff: number, shard: SourceShard = WHOLE): string {
  const relation = unfilteredRelation(deployment, database, dataCutoff, shard);
  return deployment.filter === undefined ? relation : `(SELECT * FROM ${relation} WHERE (${deployment.filter}))`;
}

function unfilteredRelation(deployment: Deployment, database: string, dataCutoff: number, shard: SourceShard): string {
  const cutoff = quoteNumber(dataCutoff);
  const eventTime = column(deployment.eventTimeColumn);
  const source = deployment.source;
  if (source.kind === 'query') return `(${source.sql})`;
  const table = `${quoteIdentifier(database)}.${quoteIdentifier(source.table)}`;
  if (source.kind === 'table') return `(SELECT * FROM ${table} WHERE ${eventTime} <= ${cutoff})`;
  return `(${latestRowPerEntity(deployment, table, cutoff, shard)})`;
}

/**
 * The snapshot: per entity, its latest row under the cut-off. LIMIT 1 BY rather than FINAL, since
 * whether FINAL merges before or after WHERE differs between engine versions. The sort holds
 * every row it reads, so a large snapshot is read shard by shard; all rows of an entity share a
 * shard, so each shard's latest rows are the snapshot's.
 */
function latestRowPerEntity(deployment: Deployment, table: string, cutoff: string, shard: SourceShard): string {
  const key = column(deployment.entityKey);
  const eventTime = column(deployment.eventTimeColumn);
  const inShard = shard.count === 1 ? '' : ` AND cityHash64(toString(${key})) % ${quoteNumber(shard.count)} = ${quoteNumber(shard.index)}`;
  return `SELECT * FROM ${table} WHERE ${eventTime} <= ${cutoff}${inShard} ORDER BY ${key}, ${eventTime} DESC LIMIT 1 BY ${key}`;
}

/** Rows under the cut-off before taking the latest per entity: sizes the shards, cheaply (no sort). */
export function rawRowCountQuery(deployment: Deployment, database: string, dataCutoff: number): string | null {
  const source = deployment.source;
  if (source.kind !== 'snapshot') return null;
  const table = `${quoteIdentifier(database)}.${quoteIdentifier(source.table)}`;
  return `SELECT count() AS rows FROM ${table} WHERE ${column(deployment.eventTimeColumn)} <= ${quoteNumber(dataCutoff)}`;
}

function featureExpression(deployment: Deployment, feature: ModelManifest['features'][number]): string {
  const source = column(sourceColumnOf(deployment, feature.name));
  if (feature.type === 'numeric') return `toFloat64(${source})`;
  const categories = quoteArray(feature.categories);
  return `toInt32(if(${source} = '', ${CATEGORY_MISSING}, toInt32(indexOf(${categories}, ${source})) - 1))`;
}

export interface SourceQuery {
  readonly sql: string;
  readonly columns: readonly ColumnSpec[];
}

/** The SELECT a run streams (one shard of it): entity id, one column per feature, segment columns. */
export function sourceQuery(deployment: Deployment, manifest: ModelManifest, database: string, dataCutoff: number, shard: SourceShard = WHOLE): SourceQuery {
  const selections = [`toString(${column(deployment.entityKey)}) AS ${column(ENTITY_ID_COLUMN)}`];
  const columns: ColumnSpec[] = [{ name: ENTITY_ID_COLUMN, type: 'String' }];
  for (const feature of manifest.features) {
    selections.push(`${featureExpression(deployment, feature)} AS ${column(FEATURE_PREFIX + feature.name)}`);
    columns.push({ name: FEATURE_PREFIX + feature.name, type: feature.type === 'numeric' ? 'Float64' : 'Int32' });
  }
  for (const segment of deployment.segmentColumns) {
    selections.push(`toString(${column(segment)}) AS ${column(SEGMENT_PREFIX + segment)}`);
    columns.push({ name: SEGMENT_PREFIX + segment, type: 'String' });
  }
  return { sql: `SELECT ${selections.join(', ')} FROM ${sourceRelation(deployment, database, dataCutoff, shard)}`, columns };
}

/** Counts what sourceQuery reads (one shard of it): the row-parity reference. */
export function sourceCountQuery(deployment: Deployment, database: string, dataCutoff: number, shard: SourceShard = WHOLE): string {
  return `SELECT count() AS rows FROM ${sourceRelation(deployment, database, dataCutoff, shard)}`;
}

/** The largest event time the source holds: the default data cut-off. */
export function maxEventTimeQuery(deployment: Deployment, database: string): string {
  const source = deployment.source;
  const relation =
    source.kind === 'query' ? `(${source.sql})` : `${quoteIdentifier(database)}.${quoteIdentifier(source.table)}`;
  return `SELECT max(${column(deployment.eventTimeColumn)}) AS max_event_time FROM ${relation}`;
}
