import { writeFileSync } from 'node:fs';
import { ClickHouseEngine, type EngineConfig, FeatureEventRepository, ModelRegistryRepository, runMigrations, ServingPointerRepository, SpeedCatchUpRepository } from '@platform/clickhouse-store';
import { CHURN_MODEL_NAME, churnFeatureEvents } from '@platform/demo-churn';
import { type ConsumedMessage, createEventStreamConfig, type EventStream, KafkaJsEventStream } from '@platform/event-stream';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { loadPlatformConfig } from '@platform/platform-config';
import { type MicroBatchPolicy } from '@platform/speed-domain';
import { CatchUpScoring, DeadLetterTopic, IngestFeatureEvents, type IngestOutcome, ServingModelCatalog, SpeedConsumer, SpeedTableWrites } from '@platform/speed-layer';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { pino } from 'pino';
import { ensureDemoModel } from './demo-model-package';
import { type MemoryAndCpu, PeakRssSampler } from './peak-rss-sampler';

/**
 * The measured phases of the speed throughput benchmark, each alone in a child process
 * (speed-throughput-child.ts), so one phase's heap, JIT and CPU never colour another's.
 */

const DEMO_SEED = 42;
const DEMO_VERSION = '1.0.0';
const PRODUCE_BATCH = 2_000;
/** Entities the latency probe's events revisit (ids of the demo data set). */
const PROBE_ENTITIES = 100_000;
/** How often the probe asks ClickHouse which events are visible; the resolution of its latencies. */
const PROBE_POLL_INTERVAL_MS = 20;
/** Events not visible this long after the last planned send count as missing. */
const PROBE_DRAIN_MS = 30_000;

interface PhaseBase {
  readonly brokers: readonly string[];
  readonly topic: string;
  readonly resultFile: string;
}

/** The speed layer's own settings: the platform config's defaults (or SPEED_BATCH_* from the environment). */
function speedSettings(): { batching: MicroBatchPolicy; allowedClockSkewMs: number } {
  const { speed } = loadPlatformConfig();
  return { batching: speed.batching, allowedClockSkewMs: speed.allowedClockSkewMs };
}

export type PhaseSpec =
  | (PhaseBase & { readonly phase: 'prefill'; readonly events: number; readonly partitions: number })
  | (PhaseBase & { readonly phase: 'raw-consume'; readonly events: number; readonly groupId: string })
  | (PhaseBase & {
      readonly phase: 'ingest';
      readonly events: number;
      readonly groupId: string;
      readonly engine: EngineConfig;
      readonly registryDir: string;
      /** A local ClickHouse server whose RSS and CPU are sampled beside ours; null when unknown. */
      readonly serverPid: number | null;
    })
  | (PhaseBase & { readonly phase: 'serve'; readonly groupId: string; readonly engine: EngineConfig; readonly registryDir: string; readonly readyFile: string })
  | (PhaseBase & {
      readonly phase: 'probe';
      readonly engine: EngineConfig;
      readonly eventsPerSecond: number;
      readonly seconds: number;
      readonly warmupSeconds: number;
    });

export type PhaseName = PhaseSpec['phase'];

export interface PrefillResult {
  readonly phase: 'prefill';
  readonly events: number;
  readonly bytes: number;
  readonly seconds: number;
}

/** The topic read through the event-stream port with nothing done to the messages: the ceiling. */
export interface RawConsumeResult {
  readonly phase: 'raw-consume';
  readonly messages: number;
  readonly joinSeconds: number;
  /** From joining the group to the last message. */
  readonly wallSeconds: number;
}

export interface IngestResult {
  readonly phase: 'ingest';
  readonly engine: EngineConfig['kind'];
  readonly batching: MicroBatchPolicy;
  readonly joinSeconds: number;
  /** From joining the group to the end of the writes of the batch that completed the topic. */
  readonly wallSeconds: number;
  readonly batches: number;
  /** Counted in ClickHouse after the run: distinct event ids in each table. */
  readonly featureEventRows: number;
  readonly predictionRows: number;
  /** Over the measured window; peak RSS shows how much of the topic the consumer held at once. */
  readonly memory: MemoryAndCpu;
  /** process.hrtime µs (the clock of V8 CPU profiles) of the measured window. */
  readonly window: { readonly startUs: number; readonly endUs: number };
}

export interface ServeResult {
  readonly phase: 'serve';
  readonly batches: number;
  readonly events: number;
}

export interface ProbeResult {
  readonly phase: 'probe';
  readonly eventsPerSecond: number;
  readonly planned: number;
  /** Producer's achieved rate: sends that lagged behind the plan still count from the planned time. */
  readonly sendSeconds: number;
  readonly measured: number;
  readonly missing: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly pollIntervalMs: number;
}

export type PhaseResult = PrefillResult | RawConsumeResult | IngestResult | ServeResult | ProbeResult;

export function errorFileOf(spec: PhaseSpec): string {
  return `${spec.resultFile}.error`;
}

const secondsSince = (startMs: number): number => (performance.now() - startMs) / 1000;
const nowUs = (): number => Number(process.hrtime.bigint() / 1_000n);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function streamOf(brokers: readonly string[], clientId: string): EventStream {
  // The production client settings (as platformEventStream builds them), kafkajs logging quiet.
  return new KafkaJsEventStream(createEventStreamConfig({ brokers, clientId, log: () => undefined }));
}

/** The demo customers' fresh features, event time now: what `npm run produce` sends. */
async function prefill(spec: Extract<PhaseSpec, { phase: 'prefill' }>): Promise<PrefillResult> {
  const stream = streamOf(spec.brokers, 'bench-prefill');
  const admin = stream.createAdmin();
  await admin.connect();
  await admin.createTopics([
    { topic: spec.topic, partitions: spec.partitions },
    { topic: `${spec.topic}.dlq`, partitions: 1 },
  ]);
  await admin.disconnect();
  const producer = stream.createProducer();
  await producer.connect();
  const start = performance.now();
  let bytes = 0;
  try {
    for (let sent = 0; sent < spec.events; sent += PRODUCE_BATCH) {
      const events = churnFeatureEvents(DEMO_SEED, sent, Math.min(PRODUCE_BATCH, spec.events - sent), Date.now());
      const messages = events.map((event) => ({ key: event.entityId, value: JSON.stringify(event) }));
      for (const { value } of messages) bytes += value.length;
      await producer.send(spec.topic, messages);
    }
  } finally {
    await producer.disconnect();
  }
  return { phase: 'prefill', events: spec.events, bytes, seconds: secondsSince(start) };
}

async function rawConsume(spec: Extract<PhaseSpec, { phase: 'raw-consume' }>): Promise<RawConsumeResult> {
  const consumer = streamOf(spec.brokers, 'bench-raw').createConsumer({ groupId: spec.groupId });
  let messages = 0;
  let lastAt = 0;
  const start = performance.now();
  await consumer.connect();
  await consumer.subscribe([spec.topic]);
  await consumer.run((batch) => {
    messages += batch.messages.length;
    lastAt = performance.now();
    return Promise.resolve();
  });
  const joinedAt = performance.now();
  while (messages < spec.events) await sleep(5);
  await consumer.stop();
  return { phase: 'raw-consume', messages, joinSeconds: (joinedAt - start) / 1000, wallSeconds: (lastAt - joinedAt) / 1000 };
}

/** Migrations, the demo model registered and active, and a published run whose cut-off every event is past. */
async function prepareDatabase(engine: ClickHouseEngine, registryDir: string): Promise<ModelRegistry> {
  await runMigrations(engine);
  const registry = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(registryDir));
  if ((await registry.active(CHURN_MODEL_NAME)) === undefined) {
    await registry.register(await ensureDemoModel(), 'benchmark');
    await registry.promote(CHURN_MODEL_NAME, DEMO_VERSION, 'benchmark');
    const dayAgo = Date.now() - 86_400_000;
    await new ServingPointerRepository(engine).append({ model: CHURN_MODEL_NAME, runId: 'benchmark-run', modelVersion: DEMO_VERSION, dataCutoff: dayAgo, action: 'publish', actor: 'benchmark' });
  }
  return registry;
}

/** The speed layer as SpeedLayerModule assembles it: validation, master dataset, scoring, dead letters. */
async function speedConsumer(
  engine: ClickHouseEngine,
  registry: ModelRegistry,
  stream: EventStream,
  options: { topic: string; groupId: string },
  onBatch: (outcome: IngestOutcome, batch: readonly ConsumedMessage[]) => void,
): Promise<{ consumer: SpeedConsumer; catalog: ServingModelCatalog; batching: MicroBatchPolicy }> {
  const { batching, allowedClockSkewMs } = speedSettings();
  const runtime = await TfjsModelRuntime.create();
  const catalog = new ServingModelCatalog({
    models: () => Promise.resolve([CHURN_MODEL_NAME]),
    pointers: new ServingPointerRepository(engine),
    loadModel: async (model, version) => runtime.load((await registry.describe(model, version)).package.packageDir),
  });
  const deadLetters = new DeadLetterTopic(stream, `${options.topic}.dlq`);
  const writes = new SpeedTableWrites(engine);
  const ingest = new IngestFeatureEvents({
    servingModels: () => catalog.servingModels(),
    manifests: () => catalog.manifests(),
    masterDataset: writes,
    predictions: writes,
    sendDeadLetters: (letters) => deadLetters.send(letters),
    allowedClockSkewMs,
  });
  const log = pino({ name: 'speed-bench', level: 'warn' }, pino.destination(2));
  const consumer = new SpeedConsumer(
    { stream, ingest, catalog, catchUp: new CatchUpScoring({ masterDataset: new FeatureEventRepository(engine), predictions: writes, catchUps: new SpeedCatchUpRepository(engine) }), deadLetters, log, onBatch },
    { ...options, batching, retry: { initialMs: 200, maxMs: 30_000 } },
  );
  return { consumer, catalog, batching };
}

async function distinctEvents(engine: ClickHouseEngine, table: string): Promise<number> {
  const rows = await engine.queryRows<{ n: string }>(`SELECT uniqExact(event_id) AS n FROM ${engine.table(table).text}`, `count ${table}`);
  return Number(rows[0]?.n ?? 0);
}

async function ingest(spec: Extract<PhaseSpec, { phase: 'ingest' }>): Promise<IngestResult> {
  const engine = await ClickHouseEngine.open(spec.engine);
  try {
    const registry = await prepareDatabase(engine, spec.registryDir);
    let handled = 0;
    let batches = 0;
    let lastWrittenAt = 0;
    let lastWrittenUs = 0;
    const { consumer, catalog, batching } = await speedConsumer(engine, registry, streamOf(spec.brokers, 'bench-ingest'), spec, (_outcome, batch) => {
      handled += batch.length;
      batches++;
      lastWrittenAt = performance.now();
      lastWrittenUs = nowUs();
    });
    const start = performance.now();
    await consumer.start();
    const joinedAt = performance.now();
    const startUs = nowUs();
    const sampler = new PeakRssSampler(100, spec.serverPid);
    sampler.start();
    while (handled < spec.events) await sleep(5);
    const memory = sampler.stop();
    await consumer.stop();
    catalog.dispose();
    return {
      phase: 'ingest',
      engine: spec.engine.kind,
      batching,
      joinSeconds: (joinedAt - start) / 1000,
      wallSeconds: (lastWrittenAt - joinedAt) / 1000,
      batches,
      featureEventRows: await distinctEvents(engine, 'feature_events'),
      predictionRows: await distinctEvents(engine, 'speed_predictions'),
      memory,
      window: { startUs, endUs: lastWrittenUs },
    };
  } finally {
    await engine.dropDatabase();
    await engine.close();
  }
}

/** The speed layer running until SIGTERM, for the latency probe (a separate process, as producers and readers are). */
async function serve(spec: Extract<PhaseSpec, { phase: 'serve' }>): Promise<ServeResult> {
  const engine = await ClickHouseEngine.open(spec.engine);
  try {
    const registry = await prepareDatabase(engine, spec.registryDir);
    let batches = 0;
    let events = 0;
    const { consumer, catalog } = await speedConsumer(engine, registry, streamOf(spec.brokers, 'bench-serve'), spec, (outcome) => {
      batches++;
      events += outcome.appended;
    });
    const stopped = new Promise<void>((resolve) => process.once('SIGTERM', () => resolve()));
    await consumer.start();
    writeFileSync(spec.readyFile, 'joined');
    await stopped;
    await consumer.stop();
    catalog.dispose();
    return { phase: 'serve', batches, events };
  } finally {
    await engine.close();
  }
}

function percentile(sorted: readonly number[], fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;
}

/**
 * Open loop: event i is planned at start + i/rate and sent as soon as it is due, whether or not
 * earlier sends have returned; its event time is its planned time, so latency counts from the
 * plan, producer delays included. A poller asks ClickHouse every few ms how many events of each
 * planned millisecond are visible in speed_predictions; each newly visible one is stamped with
 * the poll's answer time.
 */
async function probe(spec: Extract<PhaseSpec, { phase: 'probe' }>): Promise<ProbeResult> {
  const planned = Math.round(spec.eventsPerSecond * spec.seconds);
  const features = churnFeatureEvents(DEMO_SEED, 0, Math.min(planned, PROBE_ENTITIES), 0);
  const startAt = Date.now() + 500;
  const plannedAt = (index: number): number => startAt + Math.floor((index * 1000) / spec.eventsPerSecond);
  const expectedPerMs = new Map<number, number>();
  for (let index = 0; index < planned; index++) expectedPerMs.set(plannedAt(index), (expectedPerMs.get(plannedAt(index)) ?? 0) + 1);

  const engine = await ClickHouseEngine.open(spec.engine);
  const producer = streamOf(spec.brokers, 'bench-probe').createProducer();
  await producer.connect();
  const sends: Promise<void>[] = [];
  let sendFailures = 0;
  const produced = (async () => {
    let next = 0;
    while (next < planned) {
      const due = Math.min(planned, Math.floor(((Date.now() - startAt) * spec.eventsPerSecond) / 1000) + 1);
      if (due > next) {
        const messages = [];
        for (let index = next; index < due; index++) {
          const base = features[index % features.length]!;
          messages.push({ key: base.entityId, value: JSON.stringify({ ...base, eventId: `probe-${index}`, eventTime: plannedAt(index) }) });
        }
        next = due;
        sends.push(producer.send(spec.topic, messages).catch(() => void sendFailures++));
      }
      await sleep(2);
    }
    await Promise.all(sends);
    return (Date.now() - startAt) / 1000;
  })();

  const visibleAtMs = new Map<number, number>();
  const latencies: number[] = [];
  const warmupEnd = startAt + spec.warmupSeconds * 1000;
  let low = startAt;
  const lastPlanned = plannedAt(planned - 1);
  const table = engine.table('speed_predictions').text;
  while (low <= lastPlanned && Date.now() < lastPlanned + PROBE_DRAIN_MS) {
    const rows = await engine.queryRows<{ t: string; n: string }>(
      `SELECT event_time AS t, count() AS n FROM ${table} WHERE event_time >= ${low} GROUP BY event_time`,
      'probe visible events',
    );
    const answeredAt = Date.now();
    for (const { t, n } of rows) {
      const time = Number(t);
      const seen = visibleAtMs.get(time) ?? 0;
      const now = Math.min(Number(n), expectedPerMs.get(time) ?? 0);
      if (now > seen) {
        visibleAtMs.set(time, now);
        if (time >= warmupEnd) for (let k = seen; k < now; k++) latencies.push(answeredAt - time);
      }
    }
    while (low <= lastPlanned && (visibleAtMs.get(low) ?? 0) >= (expectedPerMs.get(low) ?? 0)) low++;
    await sleep(PROBE_POLL_INTERVAL_MS);
  }
  const sendSeconds = await produced;
  await producer.disconnect();
  await engine.close();
  if (sendFailures > 0) throw new Error(`${sendFailures} sends to ${spec.topic} failed`);
  const measuredPlanned = [...expectedPerMs].filter(([time]) => time >= warmupEnd).reduce((sum, [, count]) => sum + count, 0);
  latencies.sort((a, b) => a - b);
  return {
    phase: 'probe',
    eventsPerSecond: spec.eventsPerSecond,
    planned,
    sendSeconds,
    measured: latencies.length,
    missing: measuredPlanned - latencies.length,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    pollIntervalMs: PROBE_POLL_INTERVAL_MS,
  };
}

export async function runPhase(spec: PhaseSpec): Promise<PhaseResult> {
  switch (spec.phase) {
    case 'prefill':
      return prefill(spec);
    case 'raw-consume':
      return rawConsume(spec);
    case 'ingest':
      return ingest(spec);
    case 'serve':
      return serve(spec);
    case 'probe':
      return probe(spec);
  }
}
