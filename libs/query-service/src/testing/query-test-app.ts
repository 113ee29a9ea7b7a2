import { BatchPredictionRepository, BatchRunRepository, type ClickHouseEngine, ServingPointerRepository, SpeedPredictionRepository } from '@platform/clickhouse-store';
import { chdbPathForThisWorker, clickhouseUrl } from '@platform/clickhouse-store/testing';
import { loadPlatformConfig } from '@platform/platform-config';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createQueryHttpApp } from '../query-http-app';

export const MODEL = 'churn';

/**
 * A published run of four entities (a 0, b 0.25 overridden by a speed row at 0.875, "c/with slash"
 * 0.5, é 0.75; all in region north but "c/with slash", in south), a segment aggregate (region north
 * 0.625) and the run's record with its report.
 */
export async function seedQueryTestData(engine: ClickHouseEngine): Promise<void> {
  await new BatchPredictionRepository(engine).insert(
    ['a', 'b', 'c/with slash', 'é'].map((entityId, index) => ({
      model: MODEL,
      runId: 'run-1',
      entityId,
      outputs: [index / 4],
      scoredAt: 900,
      segmentValues: [entityId === 'c/with slash' ? 'south' : 'north'],
    })),
  );
  await engine.insertRows(
    'segment_aggregates',
    [{ model: MODEL, run_id: 'run-1', segment_columns: ['region'], segment_values: ['north'], row_count: 3, output_means: [0.625] }],
    'segment aggregates for the test',
  );
  await new ServingPointerRepository(engine).append({
    model: MODEL,
    runId: 'run-1',
    modelVersion: '1.0.0',
    dataCutoff: 1_000,
    action: 'publish',
    actor: 'test',
  });
  await new SpeedPredictionRepository(engine).insert([
    {
      model: MODEL,
      modelVersion: '1.0.0',
      entityId: 'b',
      eventId: 'ev-1',
      eventTime: 2_000,
      outputs: [0.875],
      scoredAt: 2_010,
      source: { topic: 'features', partition: 1, offset: '42' },
    },
  ]);
  await new BatchRunRepository(engine).record({
    runId: 'run-1',
    model: MODEL,
    modelVersion: '1.0.0',
    status: 'published',
    startedAt: 100,
    finishedAt: 200,
    updatedAt: 200,
    rows: 4,
    dataCutoff: 1_000,
    report: JSON.stringify({ passed: true, gates: [] }),
    error: '',
  });
}

/** The query layer application on the test engine's database, listening on a free port, ready. */
export async function startQueryTestApp(
  kind: ClickHouseEngine['kind'],
  engine: ClickHouseEngine,
  keysFile: string,
  environment: Record<string, string> = {},
): Promise<{ app: NestFastifyApplication; url: string }> {
  const config = loadPlatformConfig({
    ...(kind === 'server' ? { CLICKHOUSE_URL: clickhouseUrl() } : { CHDB_PATH: chdbPathForThisWorker() }),
    CLICKHOUSE_DATABASE: engine.database,
    API_KEYS_FILE: keysFile,
    QUERY_POINTER_POLL_MS: '100',
    QUERY_SPEED_POLL_MS: '100',
    QUERY_BODY_LIMIT_BYTES: String(4 * 1024 * 1024),
    LOG_LEVEL: 'warn',
    ...environment,
  });
  const app = await createQueryHttpApp(config);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const deadline = Date.now() + 30_000;
  while ((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode !== 200) {
    if (Date.now() > deadline) throw new Error('the query layer never became ready');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { app, url: await app.getUrl() };
}
