import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '@platform/access';
import {
  BatchPredictionRepository,
  ClickHouseEngine,
  runMigrations,
  ServingPointerRepository,
  SpeedPredictionRepository,
} from '@platform/clickhouse-store';
import { type ServiceProcess, startPlatformService } from './support/service-process';
import { type ServedAnswer } from './support/served-answer';

const ENTITIES = 50_000;

/**
 * The query layer as an operator runs it: its own process on a ClickHouse server, fed by what the
 * batch and speed layers write (written here through the store's repositories). Needs CLICKHOUSE_URL.
 */
describe('query layer service: a process serving merged predictions from memory', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'query-service-'));
  const database = `e2e_query_service_${Date.now().toString(36)}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLICKHOUSE_DATABASE: database,
    API_KEYS_FILE: join(workDir, 'api-keys.json'),
    QUERY_POINTER_POLL_MS: '200',
    QUERY_SPEED_POLL_MS: '100',
  };
  let engine: ClickHouseEngine;
  let readKey = '';
  let service: ServiceProcess | undefined;
  let url = '';

  async function start(): Promise<void> {
    ({ process: service, url } = await startPlatformService('query-layer', env));
  }

  async function get(entityId: string): Promise<ServedAnswer> {
    const response = await fetch(`${url}/models/churn/predictions/${encodeURIComponent(entityId)}`, { headers: { 'x-api-key': readKey } });
    expect(response.status).toBe(200);
    return (await response.json()) as ServedAnswer;
  }

  async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await read();
      if (done(value) || Date.now() > deadline) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  beforeAll(async () => {
    const serverUrl = process.env['CLICKHOUSE_URL'];
    if (serverUrl === undefined) throw new Error('CLICKHOUSE_URL is not set: run through npm test');
    engine = await ClickHouseEngine.open({ kind: 'server', url: serverUrl, database });
    await runMigrations(engine);
    const batch = new BatchPredictionRepository(engine);
    for (const runId of ['run-1', 'run-2']) {
      const score = runId === 'run-1' ? 0.25 : 0.75;
      await batch.insert(Array.from({ length: ENTITIES }, (_, k) => ({ model: 'churn', runId, entityId: `customer-${k}`, outputs: [score], scoredAt: 1_000 })));
    }
    await new ServingPointerRepository(engine).append({ model: 'churn', runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 10_000, action: 'publish', actor: 'e2e' });
    readKey = (await addApiKey(env['API_KEYS_FILE']!, 'dashboard', ['read'])).key;
    await start();
  }, 300_000);

  afterAll(async () => {
    await service?.stop('SIGTERM');
    await engine.dropDatabase();
    await engine.close();
  });

  it('serves the published run, documents its API and refuses requests without a key', async () => {
    expect(await get('customer-7')).toMatchObject({ source: 'batch', runId: 'run-1', outputs: [0.25] });
    expect((await fetch(`${url}/models/churn/predictions/customer-7`)).status).toBe(401);
    const docs = (await (await fetch(`${url}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/models/{model}/predictions/{entityId}', '/models/{model}/predictions/lookup']));
  });

  it('serves a speed row within a second of its write', async () => {
    await new SpeedPredictionRepository(engine).insert([
      {
        model: 'churn',
        modelVersion: '1.0.0',
        entityId: 'customer-9',
        eventId: 'ev-9',
        eventTime: 20_000,
        outputs: [0.5],
        scoredAt: Date.now(),
        source: { topic: 'feature-events', partition: 0, offset: '1' },
      },
    ]);
    const written = Date.now();
    const served = await eventually(() => get('customer-9'), (answer) => answer.source === 'speed');
    expect(served).toMatchObject({ source: 'speed', eventId: 'ev-9', outputs: [0.5] });
    expect(Date.now() - written).toBeLessThanOrEqual(1_000);
  });

  it('switches to a newly published run whole, and a restart rebuilds the same answers', async () => {
    await new ServingPointerRepository(engine).append({ model: 'churn', runId: 'run-2', modelVersion: '2.0.0', dataCutoff: 30_000, action: 'publish', actor: 'e2e' });
    const switched = await eventually(() => get('customer-9'), (answer) => answer.runId === 'run-2');
    // The speed row was scored with 1.0.0 and is older than run-2's cut-off: run-2 answers.
    expect(switched).toMatchObject({ source: 'batch', runId: 'run-2', outputs: [0.75] });
    expect(await service!.stop('SIGTERM')).toBe(0);
    await start();
    expect(await get('customer-9')).toMatchObject({ source: 'batch', runId: 'run-2', outputs: [0.75] });
    expect(await get('customer-49999')).toMatchObject({ source: 'batch', runId: 'run-2', outputs: [0.75] });
  }, 180_000);
});
