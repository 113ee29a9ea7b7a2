import { type FeatureEvent } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';
import { toNumber } from './row-values';

interface FeatureEventRow {
  model: string;
  entity_id: string;
  event_id: string;
  event_time: string;
  numeric_names: string[];
  numeric_values: (string | number)[];
  categorical_names: string[];
  categorical_values: string[];
  source_topic: string;
  source_partition: number;
  source_offset: string;
  ingested_at: string;
}

function zip<V>(names: readonly string[], values: readonly V[]): Record<string, V> {
  return Object.fromEntries(names.map((name, index) => [name, values[index]!]));
}

/** The master dataset: feature events, appended and never changed. */
export class FeatureEventRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  async append(events: readonly FeatureEvent[]): Promise<void> {
    await this.engine.insertRows(
      'feature_events',
      events.map((event) => ({
        model: event.model,
        entity_id: event.entityId,
        event_id: event.eventId,
        event_time: event.eventTime,
        numeric_names: Object.keys(event.numericFeatures),
        numeric_values: Object.values(event.numericFeatures),
        categorical_names: Object.keys(event.categoricalFeatures),
        categorical_values: Object.values(event.categoricalFeatures),
        source_topic: event.source.topic,
        source_partition: event.source.partition,
        source_offset: event.source.offset,
        ingested_at: event.ingestedAt,
      })),
      `append ${events.length} feature events`,
    );
  }

  /** Events of one entity in event-time order, redeliveries collapsed. */
  async listByEntity(model: string, entityId: string): Promise<FeatureEvent[]> {
    const rows = await this.engine.queryRows<FeatureEventRow>(
      sql`SELECT * FROM ${this.engine.table('feature_events')}
          WHERE model = ${model} AND entity_id = ${entityId}
          ORDER BY event_time, event_id LIMIT 1 BY event_time, event_id`,
      `read feature events of entity ${JSON.stringify(entityId)} of model ${model}`,
    );
    return rows.map(toFeatureEvent);
  }

  /**
   * One page of each entity's latest event after `after` (ties by the larger event id, as the
   * merge rule orders them) among those ingested since `ingestedSince`, entities in id order from
   * just past `afterEntityId`: what a catch-up re-scores, read in bounded pages.
   */
  async latestPerEntityAfter(model: string, after: number, afterEntityId: string, limit: number, ingestedSince = 0): Promise<FeatureEvent[]> {
    const rows = await this.engine.queryRows<FeatureEventRow>(
      sql`SELECT * FROM ${this.engine.table('feature_events')}
          WHERE model = ${model} AND event_time > ${after} AND entity_id > ${afterEntityId} AND ingested_at >= ${ingestedSince}
          ORDER BY entity_id, event_time DESC, event_id DESC LIMIT 1 BY entity_id LIMIT ${limit}`,
      `read the latest feature events of model ${model} after ${after}`,
    );
    return rows.map(toFeatureEvent);
  }
}

function toFeatureEvent(row: FeatureEventRow): FeatureEvent {
  return {
    model: row.model,
    entityId: row.entity_id,
    eventId: row.event_id,
    eventTime: toNumber(row.event_time),
    numericFeatures: zip(row.numeric_names, row.numeric_values.map(toNumber)),
    categoricalFeatures: zip(row.categorical_names, row.categorical_values),
    source: { topic: row.source_topic, partition: row.source_partition, offset: row.source_offset },
    ingestedAt: toNumber(row.ingested_at),
  };
}
