import {
  type BulkColumnarIo,
  float32ListAt,
  type Float32ListColumn,
  stringAt,
  type StringColumn,
  type StringListColumn,
  stringsAt,
} from '@platform/columnar';
import { type ClickHouseEngine, columnsOf, SegmentAggregateRepository, sql, type StoredSegmentAggregate } from '@platform/clickhouse-store';
import { type CurrentRun, type EpochMs, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import { type RunRowSink } from '@platform/query-domain';
import { ClickHouseRunRowStore, RUN_ROW_COLUMNS } from './clickhouse-run-row-store';

const SPEED_COLUMNS = columnsOf('speed_predictions', [
  'entity_id',
  'event_id',
  'event_time',
  'outputs',
  'scored_at',
  'source_topic',
  'source_partition',
  'source_offset',
]);

const ROWS_PER_BATCH = 65_536;

/**
 * Reads what the serving state is built from, through the bulk columnar port (typed arrays, not
 * JSON rows): a run's predictions, the speed rows that may win under a current run, and the run's
 * segment aggregates. Engine-agnostic: the port has one adapter per engine.
 */
export class ServingStateReader {
  private readonly segments: SegmentAggregateRepository;
  /** A run's rows read on demand, for a run over the memory budget. */
  readonly runRows: ClickHouseRunRowStore;

  constructor(
    private readonly engine: ClickHouseEngine,
    private readonly bulk: BulkColumnarIo,
  ) {
    this.segments = new SegmentAggregateRepository(engine);
    this.runRows = new ClickHouseRunRowStore(engine, bulk);
  }

  /** Appends every row of the pointer's run to the sink (a table builder enforces the memory budget). */
  async readRun(pointer: ServingPointer, builder: RunRowSink): Promise<void> {
    const batches = this.bulk.read({
      query: sql`SELECT entity_id, outputs, scored_at, segment_values FROM ${this.engine.table('batch_predictions')}
                 WHERE run_id = ${pointer.runId} AND model = ${pointer.model}`,
      columns: RUN_ROW_COLUMNS,
      rowsPerBatch: ROWS_PER_BATCH,
    });
    for await (const batch of batches) {
      const ids = batch.columns['entity_id'] as StringColumn;
      const outputs = batch.columns['outputs'] as Float32ListColumn;
      const scoredAt = batch.columns['scored_at'] as BigUint64Array;
      const segments = batch.columns['segment_values'] as StringListColumn;
      for (let row = 0; row < batch.rowCount; row++) {
        builder.append(stringAt(ids, row), float32ListAt(outputs, row), Number(scoredAt[row]), stringsAt(segments, row));
      }
    }
  }

  /**
   * Speed rows of the current run's model version with event times after its cut-off (the only
   * ones the merge rule can serve under it), scored at or after `scoredFrom`.
   */
  async readSpeedRows(model: string, current: CurrentRun, scoredFrom: EpochMs): Promise<SpeedPrediction[]> {
    const batches = this.bulk.read({
      query: sql`SELECT entity_id, event_id, event_time, outputs, scored_at, source_topic, source_partition, source_offset
                 FROM ${this.engine.table('speed_predictions')}
                 WHERE model = ${model} AND model_version = ${current.modelVersion}
                   AND event_time > ${current.dataCutoff} AND scored_at >= ${Math.max(0, Math.floor(scoredFrom))}`,
      columns: SPEED_COLUMNS,
      rowsPerBatch: ROWS_PER_BATCH,
    });
    const rows: SpeedPrediction[] = [];
    for await (const batch of batches) {
      const column = <T>(name: string): T => batch.columns[name] as T;
      const entityIds = column<StringColumn>('entity_id');
      const eventIds = column<StringColumn>('event_id');
      const eventTimes = column<BigUint64Array>('event_time');
      const outputs = column<Float32ListColumn>('outputs');
      const scoredAt = column<BigUint64Array>('scored_at');
      const topics = column<StringColumn>('source_topic');
      const partitions = column<Int32Array>('source_partition');
      const offsets = column<BigInt64Array>('source_offset');
      for (let row = 0; row < batch.rowCount; row++) {
        rows.push({
          model,
          modelVersion: current.modelVersion,
          entityId: stringAt(entityIds, row),
          eventId: stringAt(eventIds, row),
          eventTime: Number(eventTimes[row]),
          outputs: Array.from(float32ListAt(outputs, row)),
          scoredAt: Number(scoredAt[row]),
          source: { topic: stringAt(topics, row), partition: partitions[row]!, offset: String(offsets[row]) },
        });
      }
    }
    return rows;
  }

  async readSegmentAggregates(pointer: ServingPointer): Promise<StoredSegmentAggregate[]> {
    return this.segments.listByRun(pointer.model, pointer.runId);
  }
}
