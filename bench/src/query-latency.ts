import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addApiKey } from '@platform/access';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import { ClickHouseEngine, columnsOf, runMigrations, ServingPointerRepository, SpeedPredictionRepository } from '@platform/clickhouse-store';
import { type ColumnBatch, float32ListColumn, stringColumn } from '@platform/columnar';
import { ensureClickHouseServer } from './local-clickhouse-server';

/**
 * Query layer latency and throughput beside two ceilings measured in the same run:
 *
 *   npm run bench -- query-latency [--entities 1000000] [--seconds 10] [--rates 1000,5000,10000]
 *       [--bulk-ids 1000] [--bulk-rate 20]
 *
 *  - a published run of --entities rows in a fresh database on the ClickHouse server;
 *  - the query layer as it is deployed (its own process, apps/query-layer): API key auth, the rate
 *    limit on (set far above the offered load, so it is checked on every request but never
 *    refuses), metrics, and pino request logs at info to a file;
 *  - ceilings, each in its own process: a bare fastify route answering from a Map (the HTTP floor
 *    of this machine) and a fastify route doing one ClickHouse point query on the merged view
 *    per request;
 *  - an open-loop load generator in this process: request i is due at t0 + i/rate whatever the
 *    answers do, and its latency runs from that planned time to the end of its answer, so queueing
 *    counts (no coordinated omission). Random ids of the run; 2 s of warm-up at the same rate first.
 *  - bulk lookups: --bulk-ids random ids per POST at --bulk-rate requests/s, reported in ids/s;
 *  - speed freshness: 20 speed rows written one by one through the store; for each, the time from
 *    the end of its insert to the first answer of the API that serves it (polled every 5 ms).
 */

const REPO_ROOT = join(__dirname, '..', '..');
const MODEL = 'churn';

interface Options {
  readonly entities: number;
  readonly seconds: number;
  readonly rates: readonly number[];
  readonly bulkIds: number;
  readonly bulkRate: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      entities: { type: 'string', default: '1000000' },
      seconds: { type: 'string', default: '10' },
      rates: { type: 'string', default: '1000,5000,10000' },
      'bulk-ids': { type: 'string', default: '1000' },
      'bulk-rate': { type: 'string', default: '20' },
    },
  });
  const int = (text: string, name: string): number => {
    const value = Number(text.replaceAll('_', ''));
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} takes a positive integer, got ${text}`);
    return value;
  };
  return {
    entities: int(values.entities, 'entities'),
    seconds: int(values.seconds, 'seconds'),
    rates: values.rates.split(',').map((rate) => int(rate.trim(), 'rates')),
    bulkIds: int(values['bulk-ids'], 'bulk-ids'),
    bulkRate: int(values['bulk-rate'], 'bulk-rate'),
  };
}

interface LoadResult {
  readonly offeredPerSecond: number;
  readonly answeredPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly failures: number;
}

interface Target {
  readonly port: number;
  readonly method: 'GET' | 'POST';
  readonly path: () => string;
  readonly body?: () => string;
  readonly headers: Record<string, string>;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1_024 });

function send(target: Target): Promise<number> {
  return new Promise((resolve) => {
    const body = target.body?.();
    const req = request(
      { agent, host: '127.0.0.1', port: target.port, method: target.method, path: target.path(), headers: { ...target.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Open loop: sends request i at its planned time; latency from the planned time to the answer's end. */
async function openLoop(target: Target, rate: number, seconds: number): Promise<LoadResult> {
  const total = Math.round(rate * seconds);
  const latencies = new Float64Array(total);
  let failures = 0;
  let answered = 0;
  let sent = 0;
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
      while (sent < due) {
        const index = sent++;
        const planned = t0 + (index * 1000) / rate;
        pending.push(
          send(target).then((status) => {
            latencies[index] = performance.now() - planned;
            if (status >= 200 && status < 300) answered++;
            else failures++;
          }),
        );
      }
      if (sent < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  const elapsed = (performance.now() - t0) / 1000;
  const sorted = latencies.sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { offeredPerSecond: rate, answeredPerSecond: answered / elapsed, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1]!, failures };
}

function startProcess(args: string[], env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const child = spawn('node', ['-r', '@swc-node/register', ...args], { cwd: REPO_ROOT, env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.base.json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile);
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

async function waitFor(url: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer ${url}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

async function writeRun(engine: ClickHouseEngine, entities: number): Promise<void> {
  const chunk = 100_000;
  function* batches(): Generator<ColumnBatch> {
    for (let start = 0; start < entities; start += chunk) {
      const count = Math.min(chunk, entities - start);
      const ids = Array.from({ length: count }, (_, i) => `customer-${start + i}`);
      yield {
        rowCount: count,
        columns: {
          model: stringColumn(ids.map(() => MODEL)),
          run_id: stringColumn(ids.map(() => 'run-1')),
          entity_id: stringColumn(ids),
          outputs: float32ListColumn(ids.map((_, i) => [((start + i) % 1000) / 1000])),
          scored_at: new BigUint64Array(count).fill(1_000n),
        },
      };
    }
  }
  await bulkColumnarIoFor(engine).write({
    table: engine.table('batch_predictions').text,
    columns: columnsOf('batch_predictions', ['model', 'run_id', 'entity_id', 'outputs', 'scored_at']),
    batches: batches(),
  });
  await new ServingPointerRepository(engine).append({ model: MODEL, runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 1_000, action: 'publish', actor: 'bench' });
}

/** Writes speed rows one at a time and times each until the query layer serves it. */
async function speedFreshness(engine: ClickHouseEngine, port: number, key: string, entities: number): Promise<number[]> {
  const speed = new SpeedPredictionRepository(engine);
  const delays: number[] = [];
  for (let i = 0; i < 20; i++) {
    const entityId = `customer-${Math.floor(Math.random() * entities)}`;
    const eventId = `bench-${Date.now()}-${i}`;
    await speed.insert([
      { model: MODEL, modelVersion: '1.0.0', entityId, eventId, eventTime: 2_000 + i, outputs: [0.5], scoredAt: Date.now(), source: { topic: 'bench', partition: 0, offset: String(i) } },
    ]);
    const written = performance.now();
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${port}/models/${MODEL}/predictions/${entityId}`, { headers: { 'x-api-key': key } });
      if (((await response.json()) as { eventId: string | null }).eventId === eventId) break;
      if (performance.now() - written > 10_000) throw new Error(`speed row ${eventId} not served within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    delays.push(performance.now() - written);
  }
  return delays.sort((a, b) => a - b);
}

function row(name: string, result: LoadResult, floor?: LoadResult): string {
  const ratio = floor === undefined ? '' : ` ${(result.p99Ms / floor.p99Ms).toFixed(2)}x`;
  return `| ${name} | ${result.offeredPerSecond} | ${Math.round(result.answeredPerSecond)} | ${result.p50Ms.toFixed(2)} | ${result.p99Ms.toFixed(2)}${ratio} | ${result.maxMs.toFixed(1)} | ${result.failures} |`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const server = await ensureClickHouseServer();
  const database = `bench_query_${Date.now().toString(36)}`;
  const engine = await ClickHouseEngine.open({ kind: 'server', url: server.url, database });
  const workDir = mkdtempSync(join(tmpdir(), 'query-bench-'));
  const children: ChildProcess[] = [];
  try {
    await runMigrations(engine);
    const writeStarted = performance.now();
    await writeRun(engine, options.entities);
    process.stderr.write(`wrote a run of ${options.entities} rows in ${((performance.now() - writeStarted) / 1000).toFixed(1)} s\n`);
    const keysFile = join(workDir, 'api-keys.json');
    const { key } = await addApiKey(keysFile, 'bench', ['read']);
    const [queryPort, mapPort, clickhousePort] = [18_931, 18_932, 18_933];

    const queryLayer = startProcess(['apps/query-layer/src/main.ts'], {
      CLICKHOUSE_URL: server.url,
      CLICKHOUSE_DATABASE: database,
      API_KEYS_FILE: keysFile,
      QUERY_HTTP_PORT: String(queryPort),
      QUERY_RATE_LIMIT_PER_SECOND: '1000000',
      QUERY_RATE_LIMIT_BURST: '1000000',
      LOG_LEVEL: process.env['BENCH_QUERY_LOG_LEVEL'] ?? 'info',
    }, join(workDir, 'query-layer.log'));
    children.push(queryLayer);
    const loadStarted = performance.now();
    await waitFor(`http://127.0.0.1:${queryPort}/health/ready`, queryLayer, 'query layer');
    for (;;) {
      if ((await fetch(`http://127.0.0.1:${queryPort}/health/ready`)).status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    process.stderr.write(`query layer ready (run loaded) ${((performance.now() - loadStarted) / 1000).toFixed(1)} s after start\n`);
    const mapCeiling = startProcess(['bench/src/query-ceilings.ts', 'map', String(mapPort), String(options.entities)], {}, join(workDir, 'map.log'));
    const clickhouseCeiling = startProcess(['bench/src/query-ceilings.ts', 'clickhouse', String(clickhousePort), server.url, database], {}, join(workDir, 'clickhouse.log'));
    children.push(mapCeiling, clickhouseCeiling);
    await waitFor(`http://127.0.0.1:${mapPort}/predictions/customer-0`, mapCeiling, 'map ceiling');
    await waitFor(`http://127.0.0.1:${clickhousePort}/predictions/customer-0`, clickhouseCeiling, 'ClickHouse ceiling');

    const randomId = (): string => `customer-${Math.floor(Math.random() * options.entities)}`;
    const queryTarget: Target = { port: queryPort, method: 'GET', path: () => `/models/${MODEL}/predictions/${randomId()}`, headers: { 'x-api-key': key } };
    const mapTarget: Target = { port: mapPort, method: 'GET', path: () => `/predictions/${randomId()}`, headers: {} };
    const clickhouseTarget: Target = { port: clickhousePort, method: 'GET', path: () => `/predictions/${randomId()}`, headers: {} };
    const measure = async (target: Target, rate: number): Promise<LoadResult> => {
      await openLoop(target, rate, 2);
      return openLoop(target, rate, options.seconds);
    };

    const lines = ['| target | offered/s | answered/s | p50 ms | p99 ms (vs floor) | max ms | failures |', '|---|---|---|---|---|---|---|'];
    for (const rate of options.rates) {
      const floor = await measure(mapTarget, rate);
      lines.push(row('HTTP floor: fastify + Map', floor));
      process.stderr.write(`${lines.at(-1)}\n`);
      lines.push(row('query layer: single lookup', await measure(queryTarget, rate), floor));
      process.stderr.write(`${lines.at(-1)}\n`);
      if (rate <= 1_000) {
        lines.push(row('ClickHouse point query per request', await measure(clickhouseTarget, rate), floor));
        process.stderr.write(`${lines.at(-1)}\n`);
      }
    }
    const bulkTarget: Target = {
      port: queryPort,
      method: 'POST',
      path: () => `/models/${MODEL}/predictions/lookup`,
      body: () => JSON.stringify({ ids: Array.from({ length: options.bulkIds }, randomId) }),
      headers: { 'x-api-key': key },
    };
    const bulk = await measure(bulkTarget, options.bulkRate);
    lines.push(row(`query layer: bulk lookup of ${options.bulkIds} ids`, bulk));
    const freshness = await speedFreshness(engine, queryPort, key, options.entities);
    process.stdout.write(
      `${lines.join('\n')}\n\nbulk: ${Math.round(bulk.answeredPerSecond * options.bulkIds)} ids/s\n` +
        `speed row written -> served: p50 ${freshness[10]!.toFixed(0)} ms, max ${freshness[19]!.toFixed(0)} ms (20 rows)\n`,
    );
  } finally {
    await Promise.all(children.map(stop));
    await engine.dropDatabase();
    await engine.close();
    await server.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
