import { type Deployment, sourceColumnOf, type SourceReadPlan } from '@platform/batch-domain';
import { quoteArray, quoteIdentifier, quoteNumber, quoteString } from '@platform/clickhouse-store';
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

/** The master dataset's events table (libs/clickhouse-store migration 0001). */
const FEATURE_EVENTS_TABLE = 'feature_events';

function qualified(database: string, table: string): string {
  return `${quoteIdentifier(database)}.${quoteIdentifier(table)}`;
}

/** How a source is read and one of its parts, fixed by its snapshot. */
export interface SourceReading {
  readonly dataCutoff: number;
  readonly readPlan: SourceReadPlan;
  readonly shard: SourceShard;
  /** Numeric features read as Float32 rather than Float64 (see float32FeaturesOf). */
  readonly float32Features: ReadonlySet<string>;
}

/** Column types whose every value a Float32 holds exactly. */
const EXACT_IN_FLOAT32 = /^(Nullable\()?(Float32|U?Int8|U?Int16)\)?$/;

/**
 * The numeric features a read can carry as Float32: those whose source column is exact in it, when
 * the values come from the source's rows alone (events carry Float64; a query source's types are
 * not known). The very same numbers in half the bytes of Float64, through the engine's output,
 * the wire, the decoder and the scorer's input.
 */
export function float32FeaturesOf(deployment: Deployment, manifest: ModelManifest, readPlan: SourceReadPlan, sourceColumnTypes: ReadonlyMap<string, string>): Set<string> {
  const narrow = new Set<string>();
  if (deployment.source.kind === 'query' || readPlan === 'merge-events') return narrow;
  for (const feature of manifest.features) {
    if (feature.type === 'numeric' && EXACT_IN_FLOAT32.test(sourceColumnTypes.get(sourceColumnOf(deployment, feature.name)) ?? '')) narrow.add(feature.name);
  }
  return narrow;
}

/** The columns of a table source and their types, as system.columns lists them. */
export function sourceColumnTypesQuery(deployment: Deployment, database: string): string | null {
  const source = deployment.source;
  if (source.kind === 'query') return null;
  return `SELECT name, type FROM system.columns WHERE database = ${quoteString(database)} AND table = ${quoteString(source.table)}`;
}

/** Rows of the source under the cut-off and the filter: one row per entity, source columns by name. */
export function sourceRelation(deployment: Deployment, manifest: ModelManifest, database: string, reading: SourceReading): string {
  const relation = unfilteredRelation(deployment, manifest, database, reading);
  return deployment.filter === undefined ? relation : `(SELECT * FROM ${relation} WHERE (${deployment.filter}))`;
}

function unfilteredRelation(deployment: Deployment, manifest: ModelManifest, database: string, reading: SourceReading): string {
  const { dataCutoff, readPlan, shard } = reading;
  const source = deployment.source;
  if (source.kind === 'query') return `(${source.sql})`;
  const table = qualified(database, source.table);
  const cutoff = quoteNumber(dataCutoff);
  if (source.kind === 'table') return `(SELECT * FROM ${table} WHERE ${column(deployment.eventTimeColumn)} <= ${cutoff})`;
  if (readPlan === 'merge-events') return `(${snapshotQuery(deployment, manifest, database, source.table, cutoff, shard)})`;
  return `(${baseSnapshotQuery(deployment, manifest, table, cutoff, reading)})`;
}

/** A column the snapshot carries: a feature (from base rows and events) or a segment (base rows only). */
interface CarriedColumn {
  readonly sourceColumn: string;
  readonly kind: 'numeric' | 'categorical' | 'segment';
  /** The feature's name in events; absent for a segment column that is not a feature. */
  readonly feature?: string;
}

function carriedColumns(deployment: Deployment, manifest: ModelManifest): CarriedColumn[] {
  const carried = manifest.features.map((feature): CarriedColumn => ({ sourceColumn: sourceColumnOf(deployment, feature.name), kind: feature.type, feature: feature.name }));
  for (const segment of deployment.segmentColumns) {
    if (!carried.some((known) => known.sourceColumn === segment)) carried.push({ sourceColumn: segment, kind: 'segment' });
  }
  return carried.filter((known) => known.sourceColumn !== deployment.entityKey && known.sourceColumn !== deployment.eventTimeColumn);
}

// Names inside the snapshot query; distinct from source column names, since ClickHouse resolves an
// alias before a column of the same name.
const KEY = '__snapshot_key';
const TIME = '__snapshot_time';
const EVENT_TIME = '__snapshot_event_time';
const EVENT_PRESENT = '__snapshot_event_present';
const BASE_PRESENT = '__snapshot_base_present';
const SIDE = '__snapshot_side';
const eventValueName = (index: number): string => `__snapshot_event_${index}`;
const carriedName = (index: number): string => `__snapshot_column_${index}`;

function inShard(keyExpression: string, shard: SourceShard): string {
  return shard.count === 1 ? '' : ` AND cityHash64(${keyExpression}) % ${quoteNumber(shard.count)} = ${quoteNumber(shard.index)}`;
}

/** Per entity, its latest base row under the cut-off (all columns), plus its key as text. */
function latestBaseRows(deployment: Deployment, table: string, cutoff: string, shard: SourceShard): string {
  const key = column(deployment.entityKey);
  const time = column(deployment.eventTimeColumn);
  return (
    `SELECT *, toString(${key}) AS ${KEY}, toUInt8(1) AS ${BASE_PRESENT} FROM ${table} WHERE ${time} <= ${cutoff}${inShard(`toString(${key})`, shard)}` +
    ` ORDER BY ${key}, ${time} DESC LIMIT 1 BY ${key}`
  );
}

/** Per entity, the model's latest feature event under the cut-off (ties by the larger event id), its features as columns. */
function latestEvents(deployment: Deployment, carried: readonly CarriedColumn[], table: string, cutoff: string, shard: SourceShard): string {
  const values = carried.map(({ kind, feature }, index) => {
    if (feature === undefined) return null;
    const name = quoteString(feature);
    const value =
      kind === 'numeric'
        ? `if(has(numeric_names, ${name}), numeric_values[indexOf(numeric_names, ${name})], nan)`
        : `if(has(categorical_names, ${name}), categorical_values[indexOf(categorical_names, ${name})], '')`;
    return `${value} AS ${eventValueName(index)}`;
  });
  return (
    [`SELECT entity_id AS ${KEY}`, `event_time AS ${EVENT_TIME}`, `toUInt8(1) AS ${EVENT_PRESENT}`, ...values.filter((value) => value !== null)].join(', ') +
    ` FROM ${table} WHERE model = ${quoteString(deployment.model)} AND event_time <= ${cutoff}${inShard('entity_id', shard)}` +
    ` ORDER BY entity_id, event_time DESC, event_id DESC LIMIT 1 BY entity_id`
  );
}

/** A carried column's value from a base row: never Nullable, so that it matches the event side's type. */
function baseValue(carriedColumn: CarriedColumn, float32 = false): string {
  const source = column(carriedColumn.sourceColumn);
  if (carriedColumn.kind !== 'numeric') return `toString(ifNull(${source}, ''))`;
  return `${float32 ? 'toFloat32' : 'toFloat64'}(ifNull(${source}, nan))`;
}

/**
 * Names the snapshot's columns as the source's. Two levels, since an alias equal to the column it
 * is computed from is a cyclic alias to ClickHouse 18.16.
 */
function asSourceColumns(deployment: Deployment, carried: readonly CarriedColumn[], snapshot: string): string {
  const named = carried.map((carriedColumn, index) => `${carriedName(index)} AS ${column(carriedColumn.sourceColumn)}`);
  return `SELECT ${[`${KEY} AS ${column(deployment.entityKey)}`, `${TIME} AS ${column(deployment.eventTimeColumn)}`, ...named].join(', ')} FROM (${snapshot})`;
}

/**
 * The snapshot: per entity, its latest features under the cut-off over the base table and the
 * model's feature events (the master dataset). An entity's latest event supersedes its latest base
 * row when it is as new or newer; entities only events know are included. Segment columns that are
 * not features come from the base row (events carry features only; '' without one). Both sides are
 * sorted, not grouped (a sort holds narrow rows; per-entity aggregate states of every column would
 * not fit), so a large snapshot is read shard by shard; all rows of an entity share a shard. One
 * full join pairs them (both sides hold one row per key): entities only events know come out of
 * it too, with no second pass over the base keys.
 */
function snapshotQuery(deployment: Deployment, manifest: ModelManifest, database: string, baseTable: string, cutoff: string, shard: SourceShard): string {
  const carried = carriedColumns(deployment, manifest);
  const base = latestBaseRows(deployment, qualified(database, baseTable), cutoff, shard);
  const events = latestEvents(deployment, carried, qualified(database, FEATURE_EVENTS_TABLE), cutoff, shard);
  const baseTime = `toUInt64(${column(deployment.eventTimeColumn)})`;
  // A side the join found no row on holds default values (join_use_nulls = 0), hence the flags.
  const eventWins = `(${EVENT_PRESENT} = 1 AND (${BASE_PRESENT} = 0 OR ${EVENT_TIME} >= ${baseTime}))`;
  const merged = carried.map((carriedColumn, index) =>
    carriedColumn.feature === undefined
      ? `if(${BASE_PRESENT} = 1, ${baseValue(carriedColumn)}, '') AS ${carriedName(index)}`
      : `if(${eventWins}, ${eventValueName(index)}, ${baseValue(carriedColumn)}) AS ${carriedName(index)}`,
  );
  const joined =
    `SELECT ${[KEY, `if(${eventWins}, ${EVENT_TIME}, ${baseTime}) AS ${TIME}`, ...merged].join(', ')}` +
    ` FROM (${base}) AS __snapshot_base ALL FULL JOIN (${events}) AS __snapshot_events USING ${KEY}`;
  return asSourceColumns(deployment, carried, joined);
}

/**
 * The same snapshot when no feature event lies under the cut-off: each entity's latest base row,
 * with no join; and with no sort either when every entity has a single base row there.
 */
function baseSnapshotQuery(deployment: Deployment, manifest: ModelManifest, table: string, cutoff: string, { readPlan, shard, float32Features }: SourceReading): string {
  const carried = carriedColumns(deployment, manifest);
  const key = `toString(${column(deployment.entityKey)})`;
  const rows =
    readPlan === 'latest-base-rows'
      ? latestBaseRows(deployment, table, cutoff, shard)
      : `SELECT *, ${key} AS ${KEY} FROM ${table} WHERE ${column(deployment.eventTimeColumn)} <= ${cutoff}${inShard(key, shard)}`;
  const values = carried.map(
    (carriedColumn, index) => `${baseValue(carriedColumn, carriedColumn.feature !== undefined && float32Features.has(carriedColumn.feature))} AS ${carriedName(index)}`,
  );
  const projected = `SELECT ${[KEY, `toUInt64(${column(deployment.eventTimeColumn)}) AS ${TIME}`, ...values].join(', ')} FROM (${rows})`;
  return asSourceColumns(deployment, carried, projected);
}

/** Rows under the cut-off before taking the latest per entity: sizes the shards, cheaply (no sort). */
export function rawRowCountQuery(deployment: Deployment, database: string, dataCutoff: number): string | null {
  const source = deployment.source;
  if (source.kind !== 'snapshot') return null;
  const cutoff = quoteNumber(dataCutoff);
  const base = `SELECT count() FROM ${qualified(database, source.table)} WHERE ${column(deployment.eventTimeColumn)} <= ${cutoff}`;
  const events = `SELECT count() FROM ${qualified(database, FEATURE_EVENTS_TABLE)} WHERE model = ${quoteString(deployment.model)} AND event_time <= ${cutoff}`;
  return `SELECT (${base}) + (${events}) AS rows`;
}

function featureExpression(deployment: Deployment, feature: ModelManifest['features'][number], float32: boolean): string {
  const source = column(sourceColumnOf(deployment, feature.name));
  if (feature.type === 'numeric') return `${float32 ? 'toFloat32' : 'toFloat64'}(${source})`;
  const categories = quoteArray(feature.categories);
  return `toInt32(if(${source} = '', ${CATEGORY_MISSING}, toInt32(indexOf(${categories}, ${source})) - 1))`;
}

export interface SourceQuery {
  readonly sql: string;
  readonly columns: readonly ColumnSpec[];
}

/** The SELECT a run streams (one shard of it): entity id, one column per feature, segment columns. */
export function sourceQuery(deployment: Deployment, manifest: ModelManifest, database: string, reading: SourceReading): SourceQuery {
  const selections = [`toString(${column(deployment.entityKey)}) AS ${column(ENTITY_ID_COLUMN)}`];
  const columns: ColumnSpec[] = [{ name: ENTITY_ID_COLUMN, type: 'String' }];
  for (const feature of manifest.features) {
    const float32 = reading.float32Features.has(feature.name);
    selections.push(`${featureExpression(deployment, feature, float32)} AS ${column(FEATURE_PREFIX + feature.name)}`);
    columns.push({ name: FEATURE_PREFIX + feature.name, type: feature.type === 'categorical' ? 'Int32' : float32 ? 'Float32' : 'Float64' });
  }
  for (const segment of deployment.segmentColumns) {
    selections.push(`toString(${column(segment)}) AS ${column(SEGMENT_PREFIX + segment)}`);
    columns.push({ name: SEGMENT_PREFIX + segment, type: 'String' });
  }
  return { sql: `SELECT ${selections.join(', ')} FROM ${sourceRelation(deployment, manifest, database, reading)}`, columns };
}

/** A source's rows under the cut-off; for an unfiltered snapshot also its base rows and feature events. */
export interface SourceCount {
  readonly rows: number;
  readonly baseRows?: number;
  readonly eventRows?: number;
}

/**
 * Counts what sourceQuery reads (one shard of it): the row-parity reference. An unfiltered
 * snapshot has one row per distinct entity key among its base rows and events, counted without
 * sorting either, beside the rows of each side that choose its read plan (a filter needs the
 * merged rows, so it counts those). Columns: rows, and base_rows and event_rows for a snapshot.
 */
export function sourceCountQuery(deployment: Deployment, manifest: ModelManifest, database: string, dataCutoff: number, shard: SourceShard = WHOLE): string {
  const source = deployment.source;
  if (source.kind !== 'snapshot' || deployment.filter !== undefined) {
    const readPlan = source.kind === 'snapshot' ? 'merge-events' : 'base-rows';
    return `SELECT count() AS rows FROM ${sourceRelation(deployment, manifest, database, { dataCutoff, readPlan, shard, float32Features: new Set() })}`;
  }
  const cutoff = quoteNumber(dataCutoff);
  const baseKey = `toString(${column(deployment.entityKey)})`;
  const baseKeys = `SELECT ${baseKey} AS ${KEY}, toUInt8(0) AS ${SIDE} FROM ${qualified(database, source.table)} WHERE ${column(deployment.eventTimeColumn)} <= ${cutoff}${inShard(baseKey, shard)}`;
  const eventKeys = `SELECT entity_id, toUInt8(1) FROM ${qualified(database, FEATURE_EVENTS_TABLE)} WHERE model = ${quoteString(deployment.model)} AND event_time <= ${cutoff}${inShard('entity_id', shard)}`;
  return `SELECT uniqExact(${KEY}) AS rows, countIf(${SIDE} = 0) AS base_rows, countIf(${SIDE} = 1) AS event_rows FROM (${baseKeys} UNION ALL ${eventKeys})`;
}

/** The cheapest read that yields what the count counted (see SourceReadPlan). */
export function readPlanOf(deployment: Deployment, count: SourceCount): SourceReadPlan {
  if (deployment.source.kind !== 'snapshot') return 'base-rows';
  if (count.baseRows === undefined || count.eventRows === undefined || count.eventRows > 0) return 'merge-events';
  return count.baseRows === count.rows ? 'base-rows' : 'latest-base-rows';
}

/** The largest event time the source holds (feature events included for a snapshot): the default data cut-off. */
export function maxEventTimeQuery(deployment: Deployment, database: string): string {
  const source = deployment.source;
  const latest = `max(${column(deployment.eventTimeColumn)})`;
  if (source.kind === 'query') return `SELECT ${latest} AS max_event_time FROM (${source.sql})`;
  const base = `SELECT ${latest} AS max_event_time FROM ${qualified(database, source.table)}`;
  if (source.kind === 'table') return base;
  const events = `SELECT max(event_time) FROM ${qualified(database, FEATURE_EVENTS_TABLE)} WHERE model = ${quoteString(deployment.model)}`;
  return `SELECT greatest((SELECT toUInt64(${latest}) FROM ${qualified(database, source.table)}), (${events})) AS max_event_time`;
}
