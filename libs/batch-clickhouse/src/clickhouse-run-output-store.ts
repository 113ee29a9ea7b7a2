import { type RejectedRow, type RunOutputStore, type ScoredRows, type SegmentAggregate } from '@platform/batch-domain';
import { BatchPredictionRepository, type ClickHouseEngine, quoteBytes, sql, TABLE_COLUMNS, trustedSql } from '@platform/clickhouse-store';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import {
  type BulkColumnarIo,
  type Float32ListColumn,
  RepeatedStringColumns,
  type StringColumn,
  type StringListColumn,
} from '@platform/columnar';

const PREDICTION_COLUMNS = TABLE_COLUMNS.batch_predictions;

/** Row-major outputs as one list per row, sharing the output buffer. */
function outputLists(rows: ScoredRows): Float32ListColumn {
  const offsets = new Int32Array(rows.rowCount + 1);
  for (let row = 0; row <= rows.rowCount; row++) offsets[row] = row * rows.outputCount;
  return { kind: 'float32-list', offsets, values: rows.outputs.subarray(0, rows.rowCount * rows.outputCount) };
}

/** Row i's list holds row i of each segment column, in the columns' order. */
function segmentLists(segments: readonly StringColumn[], rowCount: number): StringListColumn {
  const offsets = new Int32Array(rowCount + 1);
  for (let row = 0; row <= rowCount; row++) offsets[row] = row * segments.length;
  if (segments.length === 1) return { kind: 'string-list', offsets, values: segments[0]! };
  const valueOffsets = new Int32Array(rowCount * segments.length + 1);
  let bytes = 0;
  for (let row = 0; row < rowCount; row++) {
    for (const [index, column] of segments.entries()) {
      bytes += column.offsets[row + 1]! - column.offsets[row]!;
      valueOffsets[row * segments.length + index + 1] = bytes;
    }
  }
  const values = new Uint8Array(bytes);
  for (let row = 0; row < rowCount; row++) {
    for (const [index, column] of segments.entries()) {
      values.set(column.bytes.subarray(column.offsets[row], column.offsets[row + 1]), valueOffsets[row * segments.length + index]);
    }
  }
  return { kind: 'string-list', offsets, values: { kind: 'string', offsets: valueOffsets, bytes: values } };
}

/** A run's predictions (bulk port), rejects and segment aggregates in ClickHouse, one partition per run. */
export class ClickHouseRunOutputStore implements RunOutputStore {
  private readonly bulk: BulkColumnarIo;
  private readonly predictions: BatchPredictionRepository;
  /** Model and run id columns, the same objects chunk after chunk: built and encoded once per run and chunk size (the last few kept). */
  private readonly repeatedColumns = new RepeatedStringColumns();

  constructor(private readonly engine: ClickHouseEngine) {
    this.bulk = bulkColumnarIoFor(engine);
    this.predictions = new BatchPredictionRepository(engine);
  }

  async writePredictions(model: string, runId: string, rows: ScoredRows, scoredAt: number): Promise<void> {
    if (rows.rowCount === 0) return;
    await this.bulk.write({
      table: this.engine.table('batch_predictions').text,
      columns: PREDICTION_COLUMNS,
      batches: [
        {
          rowCount: rows.rowCount,
          columns: {
            model: this.repeatedColumns.get(model, rows.rowCount),
            run_id: this.repeatedColumns.get(runId, rows.rowCount),
            entity_id: rows.entityIds,
            outputs: outputLists(rows),
            scored_at: new BigUint64Array(rows.rowCount).fill(BigInt(scoredAt)),
            segment_values: segmentLists(rows.segmentValues, rows.rowCount),
          },
        },
      ],
    });
  }

  async writeRejects(model: string, runId: string, rejects: readonly RejectedRow[]): Promise<void> {
    if (rejects.length === 0) return;
    // At most REJECTS_STORED_PER_RUN per run reach here; ids go as byte literals, exact.
    const values = rejects.map((reject) => sql`(${model}, ${runId}, ${trustedSql(quoteBytes(reject.entityId))}, ${reject.reason}, ${reject.feature})`);
    await this.engine.command(
      `INSERT INTO ${this.engine.table('batch_rejects')} (model, run_id, entity_id, reason, feature) VALUES ${values.join(', ')}`,
      `record ${rejects.length} rejects of run ${runId}`,
    );
  }

  async writeSegmentAggregates(
    model: string,
    runId: string,
    segmentColumns: readonly string[],
    aggregates: readonly SegmentAggregate[],
  ): Promise<void> {
    await this.engine.insertRows(
      'segment_aggregates',
      aggregates.map((aggregate) => ({
        model,
        run_id: runId,
        segment_columns: segmentColumns,
        segment_values: aggregate.segmentValues,
        row_count: aggregate.rowCount,
        output_means: aggregate.outputMeans,
      })),
      `record segment aggregates of run ${runId}`,
    );
  }

  countPredictions(runId: string): Promise<number> {
    return this.predictions.countByRun(runId);
  }

  async dropRun(runId: string, options: { readonly keepRejects: boolean } = { keepRejects: false }): Promise<void> {
    const tables = options.keepRejects ? ['batch_predictions', 'segment_aggregates'] : ['batch_predictions', 'batch_rejects', 'segment_aggregates'];
    for (const table of tables) {
      await this.engine.command(sql`ALTER TABLE ${this.engine.table(table)} DROP PARTITION ${runId}`, `drop run ${runId} from ${table}`);
    }
  }

  storedRuns(): Promise<string[]> {
    return this.predictions.storedRunIds();
  }
}
