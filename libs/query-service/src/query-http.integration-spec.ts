import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '@platform/access';
import { SpeedPredictionRepository } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MODEL, seedQueryTestData, startQueryTestApp } from './testing/query-test-app';

describe.each(ENGINE_KINDS)('query layer HTTP API on %s', (kind) => {
  const engine = useTestEngine(kind);
  const keysFile = join(mkdtempSync(join(tmpdir(), 'query-http-')), 'api-keys.json');
  let app: NestFastifyApplication;
  let readKey = '';
  let adminKey = '';
  let greedyKey = '';
  let url = '';
  let closed = false;

  async function inject(
    method: 'GET' | 'POST',
    url: string,
    options: { key?: string; body?: unknown; rawBody?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const key = options.key ?? readKey;
    const response = await app.inject({
      method,
      url,
      headers: { ...(key === '' ? {} : { 'x-api-key': key }), ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
      ...(options.rawBody !== undefined ? { payload: options.rawBody } : options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
    });
    return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
  }

  beforeAll(async () => {
    readKey = (await addApiKey(keysFile, 'dashboard', ['read'])).key;
    adminKey = (await addApiKey(keysFile, 'ops', ['admin'])).key;
    greedyKey = (await addApiKey(keysFile, 'greedy', ['read'])).key;
    await seedQueryTestData(engine());
    ({ app, url } = await startQueryTestApp(kind, engine(), keysFile, { QUERY_RATE_LIMIT_PER_SECOND: '100', QUERY_RATE_LIMIT_BURST: '200' }));
  });

  afterAll(async () => {
    if (!closed) await app.close();
  });

  it('needs a key with read scope on every prediction route', async () => {
    expect((await inject('GET', `/models/${MODEL}/predictions/a`, { key: '' })).status).toBe(401);
    expect((await inject('GET', `/models/${MODEL}/predictions/a`, { key: 'lpk_not-a-key' })).status).toBe(401);
    expect((await inject('POST', `/models/${MODEL}/predictions/lookup`, { key: '', body: { ids: ['a'] } })).status).toBe(401);
    expect((await inject('GET', `/models/${MODEL}/predictions/a`, { key: adminKey })).status).toBe(200);
  });

  it("answers one entity's merged prediction with provenance", async () => {
    const batch = await inject('GET', `/models/${MODEL}/predictions/a`);
    expect(batch.status).toBe(200);
    expect(batch.body).toMatchObject({
      model: MODEL,
      entityId: 'a',
      source: 'batch',
      fallback: null,
      runId: 'run-1',
      modelVersion: '1.0.0',
      dataCutoff: 1_000,
      outputs: [0],
      scoredAt: 900,
      eventId: null,
      eventTime: null,
    });
    expect(batch.body['freshness']).toEqual({ batchLoadedAt: expect.any(Number), speedAsOf: expect.any(Number) });
    expect((await inject('GET', `/models/${MODEL}/predictions/b`)).body).toMatchObject({
      source: 'speed',
      outputs: [0.875],
      eventId: 'ev-1',
      eventTime: 2_000,
      scoredAt: 2_010,
    });
    expect((await inject('GET', `/models/${MODEL}/predictions/${encodeURIComponent('c/with slash')}`)).body).toMatchObject({ entityId: 'c/with slash', outputs: [0.5] });
    expect((await inject('GET', `/models/${MODEL}/predictions/${encodeURIComponent('é')}`)).body).toMatchObject({ entityId: 'é', outputs: [0.75] });
  });

  it('answers an unknown entity with the cold-start fallback of its segment, else the global default', async () => {
    expect((await inject('GET', `/models/${MODEL}/predictions/newcomer?segment.region=north`)).body).toMatchObject({
      source: 'fallback',
      fallback: 'segment',
      outputs: [0.625],
      scoredAt: null,
    });
    expect((await inject('GET', `/models/${MODEL}/predictions/newcomer`)).body).toMatchObject({ source: 'fallback', fallback: 'global', outputs: [0.375] });
  });

  it('answers a bulk lookup in the order asked, unknown ids by the fallback', async () => {
    const { status, body } = await inject('POST', `/models/${MODEL}/predictions/lookup`, {
      body: { ids: ['nobody', 'b', 'a', 'nobody', 'é'], segments: { nobody: { region: 'north' } } },
    });
    expect(status).toBe(200);
    const predictions = body['predictions'] as { entityId: string; source: string; fallback: string | null }[];
    expect(predictions.map((p) => [p.entityId, p.source, p.fallback])).toEqual([
      ['nobody', 'fallback', 'segment'],
      ['b', 'speed', null],
      ['a', 'batch', null],
      ['nobody', 'fallback', 'segment'],
      ['é', 'batch', null],
    ]);
    const many = Array.from({ length: 10_000 }, (_, i) => (i % 2 === 0 ? 'a' : `unknown-${i}`));
    const full = await inject('POST', `/models/${MODEL}/predictions/lookup`, { body: { ids: many } });
    expect(full.status).toBe(200);
    expect((full.body['predictions'] as { entityId: string }[]).map((p) => p.entityId)).toEqual(many);
  });

  it('refuses bad requests with a 400 that names the field', async () => {
    const cases: [string, 'GET' | 'POST', unknown, RegExp][] = [
      [`/models/${MODEL}/predictions/a?color=red`, 'GET', undefined, /query\.color/],
      [`/models/${MODEL}/predictions/a?segment.region=x&segment.region=y`, 'GET', undefined, /query\.segment\.region/],
      [`/models/${MODEL}/predictions/${'x'.repeat(257)}`, 'GET', undefined, /path\.entityId: entity id is 257 bytes/],
      [`/models/${MODEL}/predictions/lookup`, 'POST', { ids: [] }, /body\.ids/],
      [`/models/${MODEL}/predictions/lookup`, 'POST', { ids: ['a', 'b', ''] }, /body\.ids\.2: entity id is empty/],
      [`/models/${MODEL}/predictions/lookup`, 'POST', { ids: Array.from({ length: 10_001 }, () => 'a') }, /body\.ids/],
      [`/models/${MODEL}/predictions/lookup`, 'POST', { ids: ['a'], extra: 1 }, /body.*extra/],
      [`/models/${MODEL}/predictions/lookup`, 'POST', { ids: ['a'], segments: { a: { region: 5 } } }, /body\.segments\.a\.region/],
    ];
    for (const [url, method, body, message] of cases) {
      const response = await inject(method, url, body === undefined ? {} : { body });
      expect({ url, status: response.status }).toEqual({ url, status: 400 });
      expect(response.body['message']).toMatch(message);
    }
    const malformed = await inject('POST', `/models/${MODEL}/predictions/lookup`, { rawBody: '{"ids": [' });
    expect(malformed.status).toBe(400);
  });

  it('answers 404 for a model without a published run and 413 for a body over the limit', async () => {
    expect((await inject('GET', '/models/unknown/predictions/a')).status).toBe(404);
    const huge = await inject('POST', `/models/${MODEL}/predictions/lookup`, { rawBody: JSON.stringify({ ids: ['x'.repeat(5 * 1024 * 1024)] }) });
    expect(huge.status).toBe(413);
  });

  it('ranks known entities by merged score in stable pages, optionally by source', async () => {
    const walked: string[] = [];
    let after: string | null = null;
    do {
      const page = await inject('GET', `/models/${MODEL}/ranking?limit=2${after === null ? '' : `&after=${after}`}`);
      expect(page.status).toBe(200);
      walked.push(...(page.body['predictions'] as { entityId: string }[]).map((p) => p.entityId));
      after = page.body['nextCursor'] as string | null;
    } while (after !== null);
    // b is answered by its speed row (0.875); é 0.75, c/with slash 0.5, a 0.
    expect(walked).toEqual(['b', 'é', 'c/with slash', 'a']);
    const speedOnly = await inject('GET', `/models/${MODEL}/ranking?source=speed`);
    expect((speedOnly.body['predictions'] as { entityId: string }[]).map((p) => p.entityId)).toEqual(['b']);
    for (const query of ['after=bm90LWEtY3Vyc29y', 'limit=0', 'source=fallback', 'order=asc', 'segment.region=a&segment.region=b']) {
      const refused = await inject('GET', `/models/${MODEL}/ranking?${query}`);
      expect(refused.status).toBe(400);
      expect(refused.body['message']).toMatch(/query\./);
    }
  });

  it('ranks only the entities of a segment, speed-answered ones by their run row', async () => {
    const ranked = async (query: string): Promise<string[]> => {
      const page = await inject('GET', `/models/${MODEL}/ranking?${query}`);
      expect(page.status).toBe(200);
      return (page.body['predictions'] as { entityId: string }[]).map((p) => p.entityId);
    };
    expect(await ranked('segment.region=north')).toEqual(['b', 'é', 'a']);
    expect(await ranked('segment.region=south')).toEqual(['c/with slash']);
    expect(await ranked('segment.region=east')).toEqual([]);
    expect(await ranked('segment.region=north&source=speed')).toEqual(['b']);
    const page = await inject('GET', `/models/${MODEL}/ranking?segment.region=north&limit=1`);
    expect(await ranked(`segment.region=north&after=${page.body['nextCursor'] as string}`)).toEqual(['é', 'a']);
    const unknownColumn = await inject('GET', `/models/${MODEL}/ranking?segment.plan=basic`);
    expect(unknownColumn.status).toBe(400);
    expect(unknownColumn.body['message']).toMatch(/segment\.plan: the current run is not segmented by "plan" \(its segment columns: region\)/);
  });

  it('summarises a model: current run, counts by source, score distribution, freshness', async () => {
    const { status, body } = await inject('GET', `/models/${MODEL}/summary`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ model: MODEL, runId: 'run-1', modelVersion: '1.0.0', countsBySource: { batch: 3, speed: 1 } });
    expect((body['scoreDistribution'] as { count: number }[]).reduce((sum, bin) => sum + bin.count, 0)).toBe(4);
    expect(body['freshness']).toEqual({ batchLoadedAt: expect.any(Number), speedAsOf: expect.any(Number) });
  });

  it('lists runs and their verification reports, read-only', async () => {
    const runs = await inject('GET', `/models/${MODEL}/runs`);
    expect(runs.status).toBe(200);
    expect(runs.body).toEqual([expect.objectContaining({ runId: 'run-1', status: 'published', rows: 4, report: { passed: true, gates: [] } })]);
    expect((await inject('GET', `/models/${MODEL}/runs/run-1`)).body).toMatchObject({ runId: 'run-1', report: { passed: true } });
    expect((await inject('GET', `/models/${MODEL}/runs/run-404`)).status).toBe(404);
    expect((await inject('GET', `/models/other/runs/run-1`)).status).toBe(404);
    expect((await inject('GET', `/models/${MODEL}/runs`, { key: '' })).status).toBe(401);
  });

  it('limits each key to its rate: 429 with retry-after beyond the burst, other keys unaffected', async () => {
    const statuses: number[] = [];
    let retryAfter: string | undefined;
    for (let i = 0; i < 260; i++) {
      const response = await app.inject({ method: 'GET', url: `/models/${MODEL}/predictions/a`, headers: { 'x-api-key': greedyKey } });
      statuses.push(response.statusCode);
      if (response.statusCode === 429) retryAfter ??= response.headers['retry-after'] as string;
    }
    expect(statuses.filter((status) => status === 200).length).toBeGreaterThanOrEqual(200);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([200, 429]));
    expect(retryAfter).toBe('1');
    expect((await inject('GET', `/models/${MODEL}/predictions/a`)).status).toBe(200);
  });

  it('documents the routes in OpenAPI and exports state metrics', async () => {
    const docs = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(Object.keys(docs.json<{ paths: object }>().paths)).toEqual(
      expect.arrayContaining(['/models/{model}/predictions/{entityId}', '/models/{model}/predictions/lookup']),
    );
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/query_state_batch_rows\{model="churn",service="query-layer"\} 4/);
    expect(metrics).toMatch(/query_speed_lag_seconds\{model="churn"/);
    expect(metrics).toMatch(/http_request_duration_seconds_count\{service="query-layer",method="GET",route="\/models\/:model\/predictions\/:entityId",status="200"\}/);
  });

  it('streams merged updates over SSE and ends open streams on shutdown', async () => {
    const unauthorized = await fetch(`${url}/models/${MODEL}/live`);
    expect(unauthorized.status).toBe(401);
    await unauthorized.body?.cancel();
    expect((await inject('GET', '/models/unknown/live')).status).toBe(404);

    const response = await fetch(`${url}/models/${MODEL}/live`, { headers: { 'x-api-key': readKey } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    let pending: ReturnType<typeof reader.read> | undefined;
    /** Reads until `done` or the stream ends (true) or 5 s pass (false); a read in flight is kept, never dropped. */
    const readUntil = async (done: (soFar: string) => boolean): Promise<boolean> => {
      const deadline = Date.now() + 5_000;
      while (!done(text) && Date.now() < deadline) {
        pending ??= reader.read();
        const chunk = await Promise.race([pending, new Promise<'waiting'>((resolve) => setTimeout(() => resolve('waiting'), 100))]);
        if (chunk === 'waiting') continue;
        pending = undefined;
        if (chunk.done) return true;
        text += chunk.value;
      }
      return false;
    };
    await new SpeedPredictionRepository(engine()).insert([
      {
        model: MODEL,
        modelVersion: '1.0.0',
        entityId: 'live-entity',
        eventId: 'ev-live',
        eventTime: 3_000,
        outputs: [0.25],
        scoredAt: Date.now(),
        source: { topic: 'features', partition: 0, offset: '43' },
      },
    ]);
    const written = Date.now();
    await readUntil((soFar) => soFar.includes('live-entity'));
    expect(Date.now() - written).toBeLessThan(1_000);
    const event = text.split('\n\n').find((block) => block.includes('live-entity'))!;
    expect(event).toMatch(/^event: prediction$/m);
    const data = JSON.parse(/^data: (.*)$/m.exec(event)![1]!) as Record<string, unknown>;
    expect(data).toMatchObject({ entityId: 'live-entity', source: 'speed', eventId: 'ev-live', outputs: [0.25], runId: 'run-1' });

    const closing = app.close();
    closed = true;
    expect(await readUntil(() => false)).toBe(true);
    await closing;
  });
});
