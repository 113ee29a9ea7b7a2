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

/** Rows of the source under the cut-off and the filter: one row per entity, source columns as they are. */
export function sourceRelation(deployment: Deployment, database: string, dataCutoff: number): string {
  const relation = unfilteredRelation(deployment, database, dataCutoff);
  return deployment.filter === undefined ? relation : `(SELECT * FROM ${relation} WHERE (${deployment.filter}))`;
}

function unfilteredRelation(deployment: Deployment, database: string, dataCutoff: number): string {
  const cutoff = quoteNumber(dataCutoff);
  const eventTime = column(deployment.eventTimeColumn);
  const source = deployment.source;
  if (source.kind === 'query') return `(${source.sql})`;
  const table = `${quoteIdentifier(database)}.${quoteIdentifier(source.table)}`;
  if (source.kind === 'table') return `(SELECT * FROM ${table} WHERE ${eventTime} <= ${cutoff})`;
  return `(${latestRowPerEntity(deployment, table, cutoff)})`;
}

/**
 * The snapshot: per entity, its latest row under the cut-off. LIMIT 1 BY rather than FINAL, since
 * whether FINAL merges before or after WHERE differs between engine versions.
 */
function latestRowPerEntity(deployment: Deployment, table: string, cutoff: string): string {
  const key = column(deployment.entityKey);
  const eventTime = column(deployment.eventTimeColumn);
  return `SELECT * FROM ${table} WHERE ${eventTime} <= ${cutoff} ORDER BY ${key}, ${eventTime} DESC LIMIT 1 BY ${key}`;
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

/** The SELECT a run streams: entity id, one column per feature, segment columns. */
export function sourceQuery(deployment: Deployment, manifest: ModelManifest, database: string, dataCutoff: number): SourceQuery {
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
  return { sql: `SELECT ${selections.join(', ')} FROM ${sourceRelation(deployment, database, dataCutoff)}`, columns };
}

/** Counts what sourceQuery reads: the row-parity reference. */
export function sourceCountQuery(deployment: Deployment, database: string, dataCutoff: number): string {
  return `SELECT count() AS rows FROM ${sourceRelation(deployment, database, dataCutoff)}`;
}

/** The largest event time the source holds: the default data cut-off. */
export function maxEventTimeQuery(deployment: Deployment, database: string): string {
  const source = deployment.source;
  const relation =
    source.kind === 'query' ? `(${source.sql})` : `${quoteIdentifier(database)}.${quoteIdentifier(source.table)}`;
  return `SELECT max(${column(deployment.eventTimeColumn)}) AS max_event_time FROM ${relation}`;
}
