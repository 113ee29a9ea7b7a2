import { type ClickHouseEngine, TABLE_COLUMNS } from '@platform/clickhouse-store';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import {
  type BulkColumnarIo,
  type ColumnBatch,
  repeatedStringColumn,
  type StringColumn,
  StringColumnBuilder,
} from '@platform/columnar';
import { type FeatureEvent } from '@platform/domain';
import { type ScoredEvents } from './event-scorer';

const FEATURE_EVENT_COLUMNS = TABLE_COLUMNS.feature_events;
const SPEED_PREDICTION_COLUMNS = TABLE_COLUMNS.speed_predictions;

/**
 * The speed layer's two appends, `feature_events` and `speed_predictions`, through the bulk
 * columnar port (Native on the server, Arrow on chDB): columns are built straight from the
 * validated events and the model's output array, never as JSON rows. The repositories of
 * libs/clickhouse-store read these tables back.
 */
export class SpeedTableWrites {
  private readonly bulk: BulkColumnarIo;
  private readonly featureEvents: string;
  private readonly speedPredictions: string;

  constructor(engine: ClickHouseEngine) {
    this.bulk = bulkColumnarIoFor(engine);
    this.featureEvents = engine.table('feature_events').text;
    this.speedPredictions = engine.table('speed_predictions').text;
  }

  async appendEvents(events: readonly FeatureEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.bulk.write({ table: this.featureEvents, columns: FEATURE_EVENT_COLUMNS, batches: [featureEventBatch(events)] });
  }

  async insertPredictions(scored: readonly ScoredEvents[]): Promise<void> {
    const batches = scored.filter((part) => part.events.length > 0).map(speedPredictionBatch);
    if (batches.length === 0) return;
    await this.bulk.write({ table: this.speedPredictions, columns: SPEED_PREDICTION_COLUMNS, batches });
  }
}

function featureEventBatch(events: readonly FeatureEvent[]): ColumnBatch {
  const rows = events.length;
  const model = new StringColumnBuilder(rows, 8);
  const entityId = new StringColumnBuilder(rows, 16);
  const eventId = new StringColumnBuilder(rows, 24);
  const numeric = new FeatureListBuilder<number>(rows);
  const categorical = new FeatureListBuilder<string>(rows);
  for (const event of events) {
    model.add(event.model);
    entityId.add(event.entityId);
    eventId.add(event.eventId);
    numeric.addRow(event.numericFeatures);
    categorical.addRow(event.categoricalFeatures);
  }
  const numericLists = numeric.build();
  const categoricalLists = categorical.build();
  return {
    rowCount: rows,
    columns: {
      model: model.build(),
      entity_id: entityId.build(),
      event_id: eventId.build(),
      event_time: uint64Column(rows, (row) => events[row]!.eventTime),
      numeric_names: { kind: 'string-list', offsets: numericLists.offsets, values: numericLists.names },
      numeric_values: { kind: 'float64-list', offsets: numericLists.offsets, values: Float64Array.from(numericLists.values) },
      categorical_names: { kind: 'string-list', offsets: categoricalLists.offsets, values: categoricalLists.names },
      categorical_values: { kind: 'string-list', offsets: categoricalLists.offsets, values: stringsOf(categoricalLists.values) },
      ...sourceColumns(events),
      ingested_at: uint64Column(rows, (row) => events[row]!.ingestedAt),
    },
  };
}

function speedPredictionBatch(scored: ScoredEvents): ColumnBatch {
  const { events, width } = scored;
  const rows = events.length;
  const entityId = new StringColumnBuilder(rows, 16);
  const eventId = new StringColumnBuilder(rows, 24);
  const outputOffsets = new Int32Array(rows + 1);
  events.forEach((event, row) => {
    entityId.add(event.entityId);
    eventId.add(event.eventId);
    outputOffsets[row + 1] = (row + 1) * width;
  });
  return {
    rowCount: rows,
    columns: {
      model: repeatedStringColumn(scored.model, rows),
      model_version: repeatedStringColumn(scored.modelVersion, rows),
      entity_id: entityId.build(),
      event_id: eventId.build(),
      event_time: uint64Column(rows, (row) => events[row]!.eventTime),
      outputs: { kind: 'float32-list', offsets: outputOffsets, values: scored.outputs.subarray(0, rows * width) },
      scored_at: uint64Column(rows, () => scored.scoredAt),
      ...sourceColumns(events),
    },
  };
}

function sourceColumns(events: readonly FeatureEvent[]): { source_topic: StringColumn; source_partition: Int32Array; source_offset: BigInt64Array } {
  const topic = new StringColumnBuilder(events.length, 16);
  const partition = new Int32Array(events.length);
  // Offsets are int64 strings from the broker: BigInt keeps any of them exact.
  const offset = new BigInt64Array(events.length);
  events.forEach((event, row) => {
    topic.add(event.source.topic);
    partition[row] = event.source.partition;
    offset[row] = BigInt(event.source.offset);
  });
  return { source_topic: topic.build(), source_partition: partition, source_offset: offset };
}

const TWO_TO_32 = 2 ** 32;

/**
 * A UInt64 column of non-negative safe integers (epoch ms), written as little-endian 32-bit
 * halves (the bulk adapters run on little-endian hosts only) without a BigInt per value.
 */
function uint64Column(rows: number, valueAt: (row: number) => number): BigUint64Array {
  const halves = new Uint32Array(rows * 2);
  for (let row = 0; row < rows; row++) {
    const value = valueAt(row);
    halves[2 * row] = value % TWO_TO_32;
    halves[2 * row + 1] = Math.floor(value / TWO_TO_32);
  }
  return new BigUint64Array(halves.buffer, 0, rows);
}

/** Feature records as two parallel lists per row (names, values), in the record's key order. */
class FeatureListBuilder<V> {
  readonly offsets: Int32Array;
  private readonly namesBuilder: StringColumnBuilder;
  private readonly values: V[] = [];
  private row = 0;

  constructor(rows: number) {
    this.offsets = new Int32Array(rows + 1);
    this.namesBuilder = new StringColumnBuilder(rows * 4, 12);
  }

  addRow(features: Readonly<Record<string, V>>): void {
    for (const name in features) {
      this.namesBuilder.add(name);
      this.values.push(features[name]!);
    }
    this.offsets[++this.row] = this.values.length;
  }

  build(): { offsets: Int32Array; names: StringColumn; values: readonly V[] } {
    return { offsets: this.offsets, names: this.namesBuilder.build(), values: this.values };
  }
}

function stringsOf(values: readonly string[]): StringColumn {
  const builder = new StringColumnBuilder(values.length, 8);
  for (const value of values) builder.add(value);
  return builder.build();
}
