import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { ClickHouseEngine, type EngineConfig, type EngineKind } from '@platform/clickhouse-store';
import { createEventStreamConfig, KafkaJsEventStream } from '@platform/event-stream';
import { formatProfileSummary, summarizeCpuProfile } from './cpu-profile-summary';
import { type ClickHouseServer, ensureClickHouseServer } from './local-clickhouse-server';
import { revision } from './revision';
import { type PhaseChild, positiveIntegers, spawnPhase } from './bench-cli';
import { errorFileOf, type IngestResult, type PhaseName, type PhaseResult, type PhaseSpec, type ProbeResult, type RawConsumeResult } from './speed-throughput-phases';

/**
 * Speed layer throughput and freshness, beside the consume ceiling measured in the same run:
 *
 *   npm run bench -- speed-throughput [--events 500000] [--engines server,chdb] [--repeats 2]
 *       [--rates 2000,5000|none] [--probe-seconds 20] [--warmup-seconds 3] [--profile true|false]
 *       [--timeout-minutes 15]
 *
 *  - prefill: --events demo feature events (libs/demo-churn, as `npm run produce` sends them) into
 *    a fresh 3-partition topic;
 *  - raw consume (the ceiling): the topic read by a fresh group through the event-stream port
 *    (kafkajs), nothing done with the messages;
 *  - ingest, per engine: ONE SpeedConsumer (validation, master dataset, scoring with the published
 *    version, dead letters, commits) reads the whole topic with a fresh group into a fresh
 *    database; rows/s = events landed ÷ wall time from joining to the end of the last batch's
 *    writes, checked by counting distinct event ids in feature_events and speed_predictions;
 *  - latency, per rate (server only: a reader in another process needs a server): the speed layer
 *    in one process, an open-loop producer and a ClickHouse poller in another; p50/p99/max from
 *    each event's planned send time to the poll that first saw its prediction.
 * Raw consume and ingest alternate --repeats times, so the spread shows. With --profile, one more
 * server ingest runs under node --cpu-prof and is summarised. The speed layer's settings are the
 * platform config's (SPEED_BATCH_MAX_COUNT, SPEED_BATCH_MAX_WAIT_MS, SPEED_BATCH_MIN_INTERVAL_MS).
 */

const CHILD_ENTRY = join(__dirname, 'speed-throughput-child.ts');
const REPO_ROOT = join(__dirname, '..', '..');
const PARTITIONS = 3;
const run = promisify(execFile);

interface Options {
  readonly events: number;
  readonly engines: readonly EngineKind[];
  readonly repeats: number;
  readonly rates: readonly number[];
  readonly probeSeconds: number;
  readonly warmupSeconds: number;
  readonly profile: boolean;
  readonly timeoutMs: number;
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '500000' },
      engines: { type: 'string', default: 'server,chdb' },
      repeats: { type: 'string', default: '2' },
      rates: { type: 'string', default: '2000,5000' },
      'probe-seconds': { type: 'string', default: '20' },
      'warmup-seconds': { type: 'string', default: '3' },
      profile: { type: 'string', default: 'true' },
      'timeout-minutes': { type: 'string', default: '15' },
    },
  });
  const engines = values.engines.split(',').map((engine) => engine.trim());
  for (const engine of engines) if (engine !== 'chdb' && engine !== 'server') throw new Error(`--engines takes chdb and/or server, got ${engine}`);
  if (values.profile !== 'true' && values.profile !== 'false') throw new Error(`--profile takes true or false, got ${values.profile}`);
  return {
    events: positiveIntegers(values.events, '--events')[0]!,
    engines: engines as EngineKind[],
    repeats: positiveIntegers(values.repeats, '--repeats')[0]!,
    rates: values.rates === 'none' ? [] : positiveIntegers(values.rates, '--rates'),
    probeSeconds: positiveIntegers(values['probe-seconds'], '--probe-seconds')[0]!,
    warmupSeconds: Number(values['warmup-seconds']),
    profile: values.profile === 'true',
    timeoutMs: Number(values['timeout-minutes']) * 60_000,
  };
}

function log(message: string): void {
  process.stderr.write(`[speed-throughput] ${message}\n`);
}

/** KAFKA_BROKERS when set; else this checkout's loopback broker (infra/kafka/start.sh), started if needed and left running. */
async function ensureKafkaBrokers(): Promise<string[]> {
  const configured = process.env['KAFKA_BROKERS'];
  if (configured !== undefined && configured !== '') return configured.split(',').map((broker) => broker.trim());
  const { stdout } = await run('bash', [join(REPO_ROOT, 'infra', 'kafka', 'start.sh')], { cwd: REPO_ROOT });
  const brokers = /^KAFKA_BROKERS=(.+)$/m.exec(stdout)?.[1];
  if (brokers === undefined) throw new Error(`infra/kafka/start.sh printed no KAFKA_BROKERS: ${stdout}`);
  return brokers.split(',');
}

type Child<P extends PhaseName> = PhaseChild<Extract<PhaseResult, { readonly phase: P }>>;

/** Starts one phase in a child process; kills it past the timeout. */
function startChild<P extends PhaseName>(spec: PhaseSpec & { readonly phase: P }, timeoutMs: number, cpuProfile: { readonly dir: string; readonly name: string } | null): Child<P> {
  return spawnPhase<Extract<PhaseResult, { readonly phase: P }>>(CHILD_ENTRY, spec, errorFileOf(spec), timeoutMs, cpuProfile);
}

async function waitForFile<P extends PhaseName>(file: string, timeoutMs: number, child: Child<P>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  child.result.catch(() => undefined).finally(() => (exited = true));
  while (!existsSync(file)) {
    if (exited) await child.result;
    if (Date.now() > deadline) throw new Error(`${file} did not appear within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function engineConfig(engine: EngineKind, server: ClickHouseServer | null, workDir: string, database: string): EngineConfig {
  if (engine === 'chdb') return { kind: 'chdb', path: join(workDir, 'chdb'), database };
  if (server === null) throw new Error('the server engine needs a server');
  return { kind: 'server', url: server.url, database };
}

function rate(perSecond: number): string {
  return perSecond >= 1e6 ? `${(perSecond / 1e6).toFixed(2)}M` : `${(perSecond / 1e3).toFixed(1)}k`;
}

function spread(values: readonly number[], show: (value: number) => string): string {
  if (values.length === 0) return '—';
  const sorted = [...values].sort((a, b) => a - b);
  return values.length === 1 ? show(sorted[0]!) : `${show(sorted[Math.floor((sorted.length - 1) / 2)]!)} (${show(sorted[0]!)}–${show(sorted.at(-1)!)})`;
}

function machine(): string {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  return `${cpus().length} cores (nproc), ${model}`;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const brokers = await ensureKafkaBrokers();
  const server = options.engines.includes('server') || options.rates.length > 0 ? await ensureClickHouseServer() : null;
  const tag = Date.now().toString(36);
  const topic = `bench.speed.${tag}`;
  const workDir = mkdtempSync(join(tmpdir(), 'speed-throughput-'));
  const outDir = join(REPO_ROOT, '.run', 'bench', `speed-throughput-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(outDir, { recursive: true });
  const base = { brokers, topic };
  let step = 0;
  const file = (name: string): string => join(workDir, `${++step}-${name}.json`);
  const databases: EngineConfig[] = [];
  const database = (engine: EngineKind): EngineConfig => {
    const config = engineConfig(engine, server, workDir, `bench_speed_${tag}_${step}`);
    databases.push(config);
    return config;
  };
  const raw: RawConsumeResult[] = [];
  const ingests: IngestResult[] = [];
  const probes: ProbeResult[] = [];
  const failures: string[] = [];
  let profile: string[] = [];
  const attempt = async <T>(label: string, work: () => Promise<T>): Promise<T | undefined> => {
    log(label);
    try {
      return await work();
    } catch (error) {
      failures.push(`${label}: ${(error as Error).message}`);
      log(`${label} FAILED: ${(error as Error).message}`);
      return undefined;
    }
  };
  try {
    const prefill = await attempt(`prefill ${options.events.toLocaleString('en-US')} events into ${topic}`, () =>
      startChild({ ...base, phase: 'prefill', events: options.events, partitions: PARTITIONS, resultFile: file('prefill') }, options.timeoutMs, null).result,
    );
    if (prefill === undefined) throw new Error('the topic could not be filled');
    log(`prefilled in ${prefill.seconds.toFixed(1)} s (${(prefill.bytes / prefill.events).toFixed(0)} bytes per event)`);
    for (let repeat = 1; repeat <= options.repeats; repeat++) {
      const rawResult = await attempt(`raw consume #${repeat}`, () =>
        startChild({ ...base, phase: 'raw-consume', events: options.events, groupId: `bench-raw-${tag}-${repeat}`, resultFile: file('raw') }, options.timeoutMs, null).result,
      );
      if (rawResult !== undefined) raw.push(rawResult);
      for (const engine of options.engines) {
        const result = await attempt(`ingest on ${engine} #${repeat}`, () =>
          startChild(
            { ...base, phase: 'ingest', events: options.events, groupId: `bench-ingest-${tag}-${engine}-${repeat}`, engine: database(engine), registryDir: join(workDir, `models-${step}`), serverPid: engine === 'server' ? (server?.pid ?? null) : null, resultFile: file('ingest') },
            options.timeoutMs,
            null,
          ).result,
        );
        if (result !== undefined) ingests.push(result);
      }
    }
    if (options.profile && server !== null) {
      const name = 'ingest-server.cpuprofile';
      const result = await attempt('ingest on server, CPU-profiled', () =>
        startChild(
          { ...base, phase: 'ingest', events: options.events, groupId: `bench-ingest-${tag}-profiled`, engine: database('server'), registryDir: join(workDir, `models-${step}`), serverPid: server?.pid ?? null, resultFile: file('ingest-profiled') },
          options.timeoutMs,
          { dir: outDir, name },
        ).result,
      );
      if (result !== undefined) {
        const title = `server, ${options.events.toLocaleString('en-US')} events, profiled ingest ${rate(options.events / result.wallSeconds)} events/s`;
        profile = [...formatProfileSummary(title, summarizeCpuProfile(join(outDir, name), result.window, [])), '', `raw profile: ${join(outDir, name)}`];
      }
    }
    for (const eventsPerSecond of options.rates) {
      for (let repeat = 1; repeat <= options.repeats; repeat++) {
        const probeTopic = `${topic}.probe-${eventsPerSecond}-${repeat}`;
        const result = await attempt(`latency at ${eventsPerSecond} events/s #${repeat}`, async () => {
          await startChild({ brokers, topic: probeTopic, phase: 'prefill', events: 0, partitions: PARTITIONS, resultFile: file('probe-topic') }, options.timeoutMs, null).result;
          const engine = database('server');
          const readyFile = join(workDir, `ready-${step}`);
          const speed = startChild(
            { brokers, topic: probeTopic, phase: 'serve', groupId: `bench-serve-${tag}-${step}`, engine, registryDir: join(workDir, `models-${step}`), readyFile, resultFile: file('serve') },
            options.timeoutMs,
            null,
          );
          try {
            await waitForFile(readyFile, 120_000, speed);
            return await startChild(
              { brokers, topic: probeTopic, phase: 'probe', engine, eventsPerSecond, seconds: options.probeSeconds, warmupSeconds: options.warmupSeconds, resultFile: file('probe') },
              options.timeoutMs,
              null,
            ).result;
          } finally {
            speed.terminate();
            await speed.result.catch((error: unknown) => log(`serve: ${(error as Error).message}`));
          }
        });
        if (result !== undefined) probes.push(result);
      }
    }
  } finally {
    await cleanUp(brokers, topic, options, databases);
    rmSync(workDir, { recursive: true, force: true });
  }
  const lines = report(options, raw, ingests, probes, profile, failures);
  writeFileSync(join(outDir, 'results.json'), JSON.stringify({ raw, ingests, probes, failures }, null, 2));
  lines.push('', `raw results: ${join(outDir, 'results.json')}`);
  if (failures.length > 0) process.exitCode = 1;
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function cleanUp(brokers: readonly string[], topic: string, options: Options, databases: readonly EngineConfig[]): Promise<void> {
  const admin = new KafkaJsEventStream(createEventStreamConfig({ brokers, clientId: 'bench-cleanup', log: () => undefined })).createAdmin();
  await admin.connect();
  const probeTopics = options.rates.flatMap((eventsPerSecond) => Array.from({ length: options.repeats }, (_, i) => `${topic}.probe-${eventsPerSecond}-${i + 1}`));
  for (const name of [topic, `${topic}.dlq`, ...probeTopics, ...probeTopics.map((probe) => `${probe}.dlq`)]) await admin.deleteTopics([name]).catch(() => undefined);
  await admin.disconnect();
  for (const config of databases.filter(({ kind }) => kind === 'server')) {
    const engine = await ClickHouseEngine.open(config);
    await engine.dropDatabase();
    await engine.close();
  }
}

function report(options: Options, raw: readonly RawConsumeResult[], ingests: readonly IngestResult[], probes: readonly ProbeResult[], profile: readonly string[], failures: readonly string[]): string[] {
  const rawRates = raw.map((r) => r.messages / r.wallSeconds);
  const rawMedian = [...rawRates].sort((a, b) => a - b)[Math.floor((rawRates.length - 1) / 2)];
  const batching = ingests[0]?.batching;
  const lines = [
    `speed layer throughput and latency, revision ${revision()}, ${new Date().toISOString()}, ${machine()}`,
    `${options.events.toLocaleString('en-US')} demo feature events in a ${PARTITIONS}-partition topic; ` +
      (batching === undefined ? '' : `micro-batches of at most ${batching.maxCount} events / ${batching.maxWaitMs} ms, at least ${batching.minIntervalMs} ms apart`),
    '',
    'throughput of ONE consumer (median of the repeats, min–max in brackets):',
    '',
    '| what | events/s | wall s | join s | ratio to raw consume | batches | CPU µs per event: ours + server | peak RSS MB | rows landed (feature_events / speed_predictions) |',
    '|---|---|---|---|---|---|---|---|---|',
    `| raw consume (event-stream port, no processing) | ${spread(rawRates, rate)} | ${spread(raw.map((r) => r.wallSeconds), (v) => v.toFixed(2))} | ${spread(raw.map((r) => r.joinSeconds), (v) => v.toFixed(1))} | 1 | — | — | — | — |`,
  ];
  for (const engine of options.engines) {
    const runs = ingests.filter((r) => r.engine === engine);
    const rates = runs.map((r) => options.events / r.wallSeconds);
    lines.push(
      `| speed layer on ${engine} | ${spread(rates, rate)} | ${spread(runs.map((r) => r.wallSeconds), (v) => v.toFixed(2))} | ${spread(runs.map((r) => r.joinSeconds), (v) => v.toFixed(1))} | ` +
        `${rawMedian === undefined ? '—' : spread(rates.map((value) => value / rawMedian), (v) => v.toFixed(2))} | ${spread(runs.map((r) => r.batches), (v) => v.toFixed(0))} | ` +
        `${spread(runs.map((r) => (r.memory.processCpuSeconds / options.events) * 1e6), (v) => v.toFixed(1))}` +
        `${runs.every((r) => r.memory.server !== null) ? ` + ${spread(runs.map((r) => (r.memory.server!.cpuSeconds / options.events) * 1e6), (v) => v.toFixed(1))}` : ''} | ` +
        `${spread(runs.map((r) => Math.max(r.memory.peakRssBytes, r.memory.lifetimeMaxRssBytes) / 1024 / 1024), (v) => v.toFixed(0))} | ${runs.map((r) => `${r.featureEventRows} / ${r.predictionRows}`).join(', ')} |`,
    );
  }
  if (probes.length > 0) {
    lines.push(
      '',
      `event → queryable latency, server, open-loop producer, ${options.probeSeconds} s per run after ${options.warmupSeconds} s excluded as warm-up, poll every ${probes[0]!.pollIntervalMs} ms:`,
      '',
      '| events/s | run | measured events | missing | p50 ms | p99 ms | max ms | producer s for the plan |',
      '|---|---|---|---|---|---|---|---|',
      ...probes.map(
        (p, index) =>
          `| ${p.eventsPerSecond} | ${(index % options.repeats) + 1} | ${p.measured} | ${p.missing} | ${p.p50Ms.toFixed(0)} | ${p.p99Ms.toFixed(0)} | ${p.maxMs.toFixed(0)} | ${p.sendSeconds.toFixed(1)} (planned ${options.probeSeconds}) |`,
      ),
    );
  }
  for (const r of ingests) {
    if (r.featureEventRows !== options.events || r.predictionRows !== options.events) {
      lines.push('', `WARNING: an ingest on ${r.engine} landed ${r.featureEventRows} / ${r.predictionRows} of ${options.events} events`);
    }
  }
  if (profile.length > 0) lines.push('', ...profile);
  if (failures.length > 0) lines.push('', 'FAILED:', ...failures);
  return lines;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
