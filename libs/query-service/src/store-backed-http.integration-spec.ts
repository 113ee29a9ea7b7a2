import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '@platform/access';
import { BatchPredictionRepository, type ClickHouseEngine, ServingPointerRepository } from '@platform/clickhouse-store';
import { clickhouseUrl, ENGINE_KINDS, FlakyTcpProxy, useTestEngine } from '@platform/clickhouse-store/testing';
import { ServingState } from '@platform/query-domain';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { startQueryTestApp } from './testing/query-test-app';

/** Over the smallest budget (1 MiB): about 100 bytes a row held in memory. */
const BIG = 'big';
const BIG_ROWS = 20_000;
/** Small, held in memory, with outputs JSON has no number for. */
const ODD = 'odd';

async function seed(engine: ClickHouseEngine): Promise<void> {
  await new BatchPredictionRepository(engine).insert(
    Array.from({ length: BIG_ROWS }, (_, k) => ({ model: BIG, runId: 'big-run', entityId: `customer-${k}`, outputs: [(k % 1024) / 1024], scoredAt: 900 })),
  );
  // NaN and infinities cannot travel in JSONEachRow: written as SQL literals.
  await engine.command(
    `INSERT INTO ${engine.table('batch_predictions').text} (model, run_id, entity_id, outputs, scored_at) VALUES
       ('${ODD}', 'odd-run', 'not-a-number', [nan, 0.5], 900), ('${ODD}', 'odd-run', 'infinite', [inf, -inf], 900)`,
    'insert outputs without a JSON number',
  );
  const pointers = new ServingPointerRepository(engine);
  await pointers.append({ model: BIG, runId: 'big-run', modelVersion: '1.0.0', dataCutoff: 1_000, action: 'publish', actor: 'test' });
  await pointers.append({ model: ODD, runId: 'odd-run', modelVersion: '1.0.0', dataCutoff: 1_000, action: 'publish', actor: 'test' });
}

describe.each(ENGINE_KINDS)('query layer HTTP API with a store-backed model and response schemas on %s', (kind) => {
  const engine = useTestEngine(kind);
  const keysFile = join(mkdtempSync(join(tmpdir(), 'query-store-backed-')), 'api-keys.json');
  let app: NestFastifyApplication;
  let readKey = '';
  let relay: FlakyTcpProxy | undefined;

  async function inject(method: 'GET' | 'POST', url: string, body?: unknown): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
    const response = await app.inject({
      method,
      url,
      headers: { 'x-api-key': readKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { status: response.statusCode, text: response.body, headers: response.headers };
  }

  beforeAll(async () => {
    readKey = (await addApiKey(keysFile, 'dashboard', ['read'])).key;
    await seed(engine());
    // On the server, the application reaches ClickHouse through a relay the last test cuts.
    if (kind === 'server') relay = await FlakyTcpProxy.start(new URL(clickhouseUrl()));
    ({ app } = await startQueryTestApp(kind, engine(), keysFile, {
      QUERY_STATE_MAX_BYTES: String(1_048_576),
      QUERY_STORE_BACKED_CACHE_ENTRIES: '1000',
      ...(relay === undefined ? {} : { CLICKHOUSE_URL: relay.url }),
    }));
  }, 60_000);

  afterAll(async () => {
    await app.close();
  });

  it('serializes NaN and infinite outputs as null and every null field, byte for byte as JSON.stringify does', async () => {
    const serving = app.get(ServingState);
    expect(serving.require(ODD).storeBacked).toBe(false);
    for (const id of ['not-a-number', 'infinite', 'unknown']) {
      const single = await inject('GET', `/models/${ODD}/predictions/${id}`);
      expect(single.status).toBe(200);
      expect(single.text).toBe(JSON.stringify(await serving.answer(ODD, id)));
    }
    expect(JSON.parse((await inject('GET', `/models/${ODD}/predictions/not-a-number`)).text)).toMatchObject({ outputs: [null, 0.5], eventId: null, eventTime: null });
    // The global default is the mean of each output: NaN and an infinity again, and null.
    expect(JSON.parse((await inject('GET', `/models/${ODD}/predictions/unknown`)).text)).toMatchObject({ source: 'fallback', fallback: 'global', outputs: [null, null], scoredAt: null });
    const ids = ['infinite', 'unknown', 'not-a-number'];
    const bulk = await inject('POST', `/models/${ODD}/predictions/lookup`, { ids });
    expect(bulk.status).toBe(200);
    expect(bulk.text).toBe(JSON.stringify({ predictions: await serving.require(ODD).answerMany(ids) }));
  });

  it('serves the run over the memory budget from the store: ready, lookups single and bulk, ranking, summary, metrics', async () => {
    const state = app.get(ServingState).require(BIG);
    expect(state.storeBacked).toBe(true);
    expect(state.batchRowCount).toBe(BIG_ROWS);
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);

    const single = await inject('GET', `/models/${BIG}/predictions/customer-1025`);
    expect(JSON.parse(single.text)).toMatchObject({ source: 'batch', runId: 'big-run', outputs: [1 / 1024] });
    expect(JSON.parse((await inject('GET', `/models/${BIG}/predictions/customer-1025`)).text)).toMatchObject({ source: 'batch', outputs: [1 / 1024] }); // from the cache
    const ids = Array.from({ length: 3_000 }, (_, k) => (k % 3 === 0 ? `nobody-${k}` : `customer-${k * 7}`));
    const bulk = await inject('POST', `/models/${BIG}/predictions/lookup`, { ids });
    expect(bulk.status).toBe(200);
    const answers = (JSON.parse(bulk.text) as { predictions: { entityId: string; source: string; outputs: number[] }[] }).predictions;
    expect(answers.map((answer) => answer.entityId)).toEqual(ids);
    expect(answers.map((answer) => (answer.source === 'batch' ? answer.outputs[0] : answer.source))).toEqual(
      ids.map((id) => {
        const k = id.startsWith('customer-') ? Number(id.slice('customer-'.length)) : Infinity;
        return k < BIG_ROWS ? (k % 1024) / 1024 : 'fallback';
      }),
    );

    const first = JSON.parse((await inject('GET', `/models/${BIG}/ranking?limit=3`)).text) as { predictions: { entityId: string; outputs: number[] }[]; nextCursor: string };
    expect(first.predictions.map((p) => [p.entityId, p.outputs[0]])).toEqual([
      ['customer-1023', 1023 / 1024],
      ['customer-10239', 1023 / 1024],
      ['customer-11263', 1023 / 1024],
    ]);
    const second = JSON.parse((await inject('GET', `/models/${BIG}/ranking?limit=3&after=${first.nextCursor}`)).text) as { predictions: { entityId: string }[] };
    expect(second.predictions.map((p) => p.entityId)).toEqual(['customer-12287', 'customer-13311', 'customer-14335']);

    const summary = JSON.parse((await inject('GET', `/models/${BIG}/summary`)).text) as { countsBySource: object; scoreDistribution: { count: number }[] };
    expect(summary.countsBySource).toEqual({ batch: BIG_ROWS, speed: 0 });
    expect(summary.scoreDistribution.map((bin) => bin.count).reduce((a, b) => a + b, 0)).toBe(BIG_ROWS);

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/query_store_backed_models\{service="query-layer"\} 1/);
    expect(metrics).toMatch(/query_store_backed_cache_hits_total\{model="big",service="query-layer"\} \d+/);
    expect(metrics).toMatch(/query_store_backed_cache_misses_total\{model="big",service="query-layer"\} 3001/);
  });

  if (kind === 'server') {
    it('answers 503 with retry-after for ids it must read while ClickHouse is unreachable, and cached ids as before', async () => {
      const before = await inject('GET', `/models/${BIG}/predictions/customer-5000`);
      await relay!.close();
      const cached = await inject('GET', `/models/${BIG}/predictions/customer-5000`);
      expect(cached.status).toBe(200);
      const { freshness: _a, ...expected } = JSON.parse(before.text) as Record<string, unknown>;
      expect(JSON.parse(cached.text)).toMatchObject(expected);
      const missing = await inject('GET', `/models/${BIG}/predictions/customer-5`);
      expect(missing.status).toBe(503);
      expect(missing.headers['retry-after']).toBe('5');
      expect(JSON.parse(missing.text)).toMatchObject({ error: 'STORE_UNAVAILABLE', retriable: true });
      const bulk = await inject('POST', `/models/${BIG}/predictions/lookup`, { ids: ['customer-5000', 'customer-6'] });
      expect(bulk.status).toBe(503);
      expect((await inject('GET', `/models/${BIG}/ranking?limit=3`)).status).toBe(503);
      expect((await inject('GET', `/models/${ODD}/predictions/infinite`)).status).toBe(200);
    });
  }
});
