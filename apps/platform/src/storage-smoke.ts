import {
  BatchRunRepository,
  type ClickHouseEngine,
  MergedPredictionRepository,
  sql,
  ServingPointerRepository,
  SpeedPredictionRepository,
} from '@platform/clickhouse-store';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import { type ColumnBatch, float32ListColumn, stringColumn } from '@platform/columnar';

export interface StorageSmokeReport {
  readonly runId: string;
  readonly batchRowsWritten: number;
  readonly writeRowsPerSecond: number;
  readonly rowsReadBack: number;
  readonly readRowsPerSecond: number;
  readonly mergedSample: readonly { entityId: string; source: string; score: number | undefined }[];
}

const MODEL = 'smoke';
const MODEL_VERSION = '0.0.0-smoke';

function syntheticRun(runId: string, start: number, count: number, scoredAt: number): ColumnBatch {
  const ids: string[] = [];
  const outputs: number[][] = [];
  for (let i = start; i < start + count; i++) {
    ids.push(`entity-${i}`);
    outputs.push([(i % 1000) / 1000]);
  }
  return {
    rowCount: count,
    columns: {
      model: stringColumn(new Array<string>(count).fill(MODEL)),
      run_id: stringColumn(new Array<string>(count).fill(runId)),
      entity_id: stringColumn(ids),
      outputs: float32ListColumn(outputs),
      scored_at: new BigUint64Array(count).fill(BigInt(scoredAt)),
    },
  };
}

/**
 * Exercises the storage core end to end on one engine until the batch layer exists: writes a
 * synthetic run through the bulk port, publishes it, adds speed rows, reads the merged view.
 */
export async function runStorageSmoke(engine: ClickHouseEngine, rows: number): Promise<StorageSmokeReport> {
  const io = bulkColumnarIoFor(engine);
  const runId = `${MODEL}-${Date.now()}`;
  const startedAt = Date.now();
  const runs = new BatchRunRepository(engine);
  const runRecord = {
    runId,
    model: MODEL,
    modelVersion: MODEL_VERSION,
    startedAt,
    finishedAt: 0,
    rows: 0,
    dataCutoff: startedAt,
    report: '',
    error: '',
  };
  await runs.record({ ...runRecord, status: 'running', updatedAt: startedAt });

  const chunkRows = 100_000;
  const writeStart = performance.now();
  const written = await io.write({
    table: engine.table('batch_predictions').text,
    columns: [
      { name: 'model', type: 'String' },
      { name: 'run_id', type: 'String' },
      { name: 'entity_id', type: 'String' },
      { name: 'outputs', type: 'Array(Float32)' },
      { name: 'scored_at', type: 'UInt64' },
    ],
    batches: (function* () {
      for (let start = 0; start < rows; start += chunkRows) {
        yield syntheticRun(runId, start, Math.min(chunkRows, rows - start), startedAt);
      }
    })(),
  });
  const writeSeconds = (performance.now() - writeStart) / 1000;

  const readStart = performance.now();
  let rowsReadBack = 0;
  for await (const batch of io.read({
    query: sql`SELECT entity_id, outputs FROM ${engine.table('batch_predictions')} WHERE run_id = ${runId}`,
    columns: [
      { name: 'entity_id', type: 'String' },
      { name: 'outputs', type: 'Array(Float32)' },
    ],
    maxRowsPerBatch: 65_536,
  })) {
    rowsReadBack += batch.rowCount;
  }
  const readSeconds = (performance.now() - readStart) / 1000;

  const finishedAt = Date.now();
  await runs.record({ ...runRecord, status: 'published', rows: written.rows, finishedAt, updatedAt: finishedAt });
  await new ServingPointerRepository(engine).append({
    model: MODEL,
    runId,
    modelVersion: MODEL_VERSION,
    dataCutoff: startedAt,
    action: 'publish',
    actor: 'storage-smoke',
  });
  await new SpeedPredictionRepository(engine).insert([
    {
      model: MODEL,
      modelVersion: MODEL_VERSION,
      entityId: 'entity-1',
      eventId: `smoke-event-${runId}`,
      eventTime: startedAt + 1,
      outputs: [0.999],
      scoredAt: finishedAt,
      source: { topic: 'smoke', partition: 0, offset: '0' },
    },
  ]);
  const merged = await new MergedPredictionRepository(engine).get(MODEL, ['entity-0', 'entity-1', 'entity-unknown']);
  return {
    runId,
    batchRowsWritten: written.rows,
    writeRowsPerSecond: Math.round(written.rows / writeSeconds),
    rowsReadBack,
    readRowsPerSecond: Math.round(rowsReadBack / readSeconds),
    mergedSample: merged.map((row) => ({ entityId: row.entityId, source: row.source, score: row.outputs[0] })),
  };
}
