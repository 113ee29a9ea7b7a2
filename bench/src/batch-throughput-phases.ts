import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ClickHouseFeatureSource, ClickHouseRunOutputStore } from '@platform/batch-clickhouse';
import { type Deployment, parseDeployments, type RunStage, type SourceChunk, type SourceReadPlan } from '@platform/batch-domain';
import { BATCH_SCORING_THREAD, createRunBatch, FileRunLock, readDeploymentsFile, registryModelLoader } from '@platform/batch-layer';
import { ClickHouseEngine, type EngineConfig, ModelRegistryRepository, runMigrations } from '@platform/clickhouse-store';
import { CHURN_DEMO_TABLE, CHURN_MODEL_NAME, writeChurnDemoSource } from '@platform/demo-churn';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { ensureDemoModel } from './demo-model-package';
import { type MemoryAndCpu, PeakRssSampler } from './peak-rss-sampler';

/**
 * The measured phases of the batch throughput benchmark. Each runs alone in a child process
 * (batch-throughput-child.ts), so its peak RSS is its own: the kernel's maxRSS cannot be reset.
 */

const REPO_ROOT = join(__dirname, '..', '..');
const DEPLOYMENTS_FILE = join(REPO_ROOT, 'config', 'deployments.json');
const RSS_SAMPLE_INTERVAL_MS = 50;
const DEMO_SEED = 42;
const DEMO_VERSION = '1.0.0';

export const RUN_STAGES: readonly RunStage[] = ['read', 'score', 'write', 'verify', 'publish'];

export type PhaseName = 'prepare' | 'end-to-end' | 'io-ceiling' | 'scoring-ceiling';

export interface PhaseSpec {
  readonly phase: PhaseName;
  readonly engine: EngineConfig;
  readonly rows: number;
  /** Settings of config/deployments.json's churn deployment to override (chunkRows, pipelineDepth, source). */
  readonly deploymentOverrides: Readonly<Record<string, unknown>>;
  /** The model registry's package store, shared by the phases of one database. */
  readonly registryDir: string;
  readonly lockDir: string;
  /** A local ClickHouse server whose RSS and CPU are sampled beside ours; null when unknown. */
  readonly serverPid: number | null;
  /** Rows the scoring ceiling holds in memory and scores over and over up to `rows`. */
  readonly scoringHeldRows: number;
  readonly resultFile: string;
}

export interface PrepareResult {
  readonly phase: 'prepare';
  readonly rowsWritten: number;
  readonly writeSeconds: number;
  /** OPTIMIZE ... FINAL after the write: runs read one merged part, and no merge runs under a measurement. */
  readonly optimizeSeconds: number;
}

/** A stage's busy interval on process.hrtime's clock, in µs: the clock of V8's CPU profiles. */
export interface StageInterval {
  readonly stage: RunStage;
  readonly startUs: number;
  readonly endUs: number;
}

export interface PipelineSettings {
  readonly source: Deployment['source']['kind'];
  readonly chunkRows: number;
  readonly pipelineDepth: number | null;
}

export interface EndToEndResult {
  readonly phase: 'end-to-end';
  readonly runId: string;
  readonly settings: PipelineSettings;
  readonly rows: number;
  readonly wallSeconds: number;
  /** Busy seconds per stage as RunBatch reports them through onStageTimed. */
  readonly stageSeconds: Readonly<Record<RunStage, number>>;
  readonly stageIntervals: readonly StageInterval[];
  readonly runWindow: { readonly startUs: number; readonly endUs: number };
  readonly memory: MemoryAndCpu;
}

export interface IoCeilingResult {
  readonly phase: 'io-ceiling';
  readonly rows: number;
  /** Read + write, sequential. */
  readonly wallSeconds: number;
  readonly readSeconds: number;
  readonly writeSeconds: number;
  /** The snapshot's row count query (not in wallSeconds; a run pays it before its first read). */
  readonly snapshotSeconds: number;
  /** How the snapshot was read (the same as the end-to-end run's: same source, same cut-off). */
  readonly readPlan: SourceReadPlan;
  readonly memory: MemoryAndCpu;
}

export interface ScoringCeilingResult {
  readonly phase: 'scoring-ceiling';
  readonly rowsHeld: number;
  readonly rowsScored: number;
  readonly wallSeconds: number;
  readonly memory: MemoryAndCpu;
}

export type PhaseResult = PrepareResult | EndToEndResult | IoCeilingResult | ScoringCeilingResult;

/** Where a failed phase leaves its error for the parent's report. */
export function errorFileOf(spec: PhaseSpec): string {
  return `${spec.resultFile}.error`;
}

function nowUs(): number {
  return Number(process.hrtime.bigint() / 1_000n);
}

function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}

/** Runs `step` with RSS (and the server's RSS and CPU) sampled and its wall time taken. */
async function measured<T>(serverPid: number | null, step: () => Promise<T>): Promise<{ value: T; seconds: number; memory: MemoryAndCpu }> {
  const sampler = new PeakRssSampler(RSS_SAMPLE_INTERVAL_MS, serverPid);
  sampler.start();
  const start = performance.now();
  let value: T;
  let seconds: number;
  let memory: MemoryAndCpu;
  try {
    value = await step();
  } finally {
    seconds = secondsSince(start);
    memory = sampler.stop();
  }
  return { value, seconds, memory };
}

/** The churn deployment of config/deployments.json with the benchmark's overrides, validated again. */
async function churnDeployment(overrides: Readonly<Record<string, unknown>>): Promise<Deployment> {
  const deployment = (await readDeploymentsFile(DEPLOYMENTS_FILE)).find((candidate) => candidate.model === CHURN_MODEL_NAME);
  if (deployment === undefined) throw new Error(`${DEPLOYMENTS_FILE} deploys no model ${CHURN_MODEL_NAME}`);
  return parseDeployments([{ ...deployment, ...overrides }], 'benchmark')[0]!;
}

/** The settings that shape a run's pipeline; pipelineDepth is null on a tree whose runs have none. */
function pipelineSettings(deployment: Deployment): PipelineSettings {
  const depth = (deployment as Readonly<Record<string, unknown>>)['pipelineDepth'];
  return { source: deployment.source.kind, chunkRows: deployment.chunkRows, pipelineDepth: typeof depth === 'number' ? depth : null };
}

function registryOf(engine: ClickHouseEngine, registryDir: string): ModelRegistry {
  return new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(registryDir));
}

/** A fresh database: migrations, the demo source with `rows` customers, the demo model active. */
async function prepare(engine: ClickHouseEngine, spec: PhaseSpec): Promise<PrepareResult> {
  await runMigrations(engine);
  const table = engine.table(CHURN_DEMO_TABLE).text;
  let reported = 0;
  const writeStart = performance.now();
  const rowsWritten = await writeChurnDemoSource(engine, {
    table,
    rows: spec.rows,
    seed: DEMO_SEED,
    updatedAt: Date.now(),
    onProgress: (rows) => {
      if (rows - reported >= 1_000_000 || rows === spec.rows) {
        reported = rows;
        process.stderr.write(`  source ${rows}/${spec.rows} rows, ${Math.round(rows / secondsSince(writeStart))} rows/s\n`);
      }
    },
  });
  const writeSeconds = secondsSince(writeStart);
  const optimizeStart = performance.now();
  await engine.command(`OPTIMIZE TABLE ${table} FINAL`, `merge ${table}`);
  const optimizeSeconds = secondsSince(optimizeStart);
  const registry = registryOf(engine, spec.registryDir);
  await registry.register(await ensureDemoModel(), 'benchmark');
  await registry.promote(CHURN_MODEL_NAME, DEMO_VERSION, 'benchmark');
  return { phase: 'prepare', rowsWritten, writeSeconds, optimizeSeconds };
}

/** One full run through the use case the service runs: read, score, write, verify, publish. */
async function endToEnd(engine: ClickHouseEngine, spec: PhaseSpec): Promise<EndToEndResult> {
  const deployment = await churnDeployment(spec.deploymentOverrides);
  const runtime = await TfjsModelRuntime.create({ scoringThread: BATCH_SCORING_THREAD });
  const runBatch = createRunBatch({ engine, registry: registryOf(engine, spec.registryDir), runtime, lock: new FileRunLock(spec.lockDir) });
  const stageSeconds: Record<RunStage, number> = { read: 0, score: 0, write: 0, verify: 0, publish: 0 };
  const stageIntervals: StageInterval[] = [];
  const startUs = nowUs();
  const { value: result, seconds: wallSeconds, memory } = await measured(spec.serverPid, () =>
    runBatch.execute({
      deployment,
      actor: 'benchmark',
      onStageTimed: (stage, milliseconds) => {
        stageSeconds[stage] += milliseconds / 1000;
        const endUs = nowUs();
        stageIntervals.push({ stage, startUs: endUs - Math.round(milliseconds * 1000), endUs });
      },
    }),
  );
  const runWindow = { startUs, endUs: nowUs() };
  if (!result.published || result.run.rows !== spec.rows) {
    throw new Error(`run ${result.run.runId} did not publish all ${spec.rows} rows: ${result.run.status}, ${result.run.rows} rows, ${result.run.error}`);
  }
  return { phase: 'end-to-end', runId: result.run.runId, settings: pipelineSettings(deployment), rows: result.run.rows, wallSeconds, stageSeconds, stageIntervals, runWindow, memory };
}

/** The run's own read and write with no model in between: constant outputs into a throwaway run. */
async function ioCeiling(engine: ClickHouseEngine, spec: PhaseSpec): Promise<IoCeilingResult> {
  const deployment = await churnDeployment(spec.deploymentOverrides);
  const registry = registryOf(engine, spec.registryDir);
  const active = await registry.active(CHURN_MODEL_NAME);
  if (active === undefined) throw new Error(`model ${CHURN_MODEL_NAME} has no active version: the prepare phase registers it`);
  const { manifest } = (await registry.describe(CHURN_MODEL_NAME, active.version)).package;
  const source = new ClickHouseFeatureSource(engine);
  const output = new ClickHouseRunOutputStore(engine);
  const outputCount = manifest.outputs.length;
  const constantOutputs = new Float32Array(deployment.chunkRows * outputCount).fill(0.5);
  const runId = `benchmark-io-${randomBytes(4).toString('hex')}`;

  const snapshotStart = performance.now();
  const snapshot = await source.snapshot(deployment, manifest, Date.now());
  const snapshotSeconds = secondsSince(snapshotStart);

  let readSeconds = 0;
  let writeSeconds = 0;
  const { value: rows, seconds: wallSeconds, memory } = await measured(spec.serverPid, async () => {
    let rowsRead = 0;
    const chunks = source.read(deployment, manifest, snapshot)[Symbol.asyncIterator]();
    for (;;) {
      const readStart = performance.now();
      const next = await chunks.next();
      readSeconds += secondsSince(readStart);
      if (next.done === true) return rowsRead;
      const chunk = next.value;
      const writeStart = performance.now();
      await output.writePredictions(
        deployment.model,
        runId,
        {
          rowCount: chunk.rowCount,
          entityIds: chunk.entityIds,
          outputs: constantOutputs.subarray(0, chunk.rowCount * outputCount),
          outputCount,
          segmentValues: deployment.segmentColumns.map((column) => chunk.segments[column]!),
        },
        Date.now(),
      );
      writeSeconds += secondsSince(writeStart);
      rowsRead += chunk.rowCount;
    }
  });
  await output.dropRun(runId);
  if (rows !== spec.rows) throw new Error(`the I/O ceiling read ${rows} rows, the source holds ${spec.rows}`);
  return { phase: 'io-ceiling', rows, wallSeconds, readSeconds, writeSeconds, snapshotSeconds, readPlan: snapshot.readPlan, memory };
}

/** The loaded model scoring chunks already in memory (read beforehand, untimed), up to `rows` rows. */
async function scoringCeiling(engine: ClickHouseEngine, spec: PhaseSpec): Promise<ScoringCeilingResult> {
  const deployment = await churnDeployment(spec.deploymentOverrides);
  const model = await registryModelLoader(registryOf(engine, spec.registryDir), await TfjsModelRuntime.create({ scoringThread: BATCH_SCORING_THREAD }))(deployment.model, deployment.modelVersion);
  try {
    const source = new ClickHouseFeatureSource(engine);
    const held: SourceChunk[] = [];
    let rowsHeld = 0;
    const toHold = Math.min(spec.rows, spec.scoringHeldRows);
    for await (const chunk of source.read(deployment, model.manifest, await source.snapshot(deployment, model.manifest, Date.now()))) {
      held.push(chunk);
      rowsHeld += chunk.rowCount;
      if (rowsHeld >= toHold) break;
    }
    const first = held[0];
    if (first === undefined) throw new Error('the source is empty');
    await model.score(first.features, first.rowCount); // warm-up: TensorFlow's first call allocates

    const { value: rowsScored, seconds: wallSeconds, memory } = await measured(null, async () => {
      let scored = 0;
      while (scored < spec.rows) {
        for (const chunk of held) {
          if (scored >= spec.rows) break;
          await model.score(chunk.features, chunk.rowCount);
          scored += chunk.rowCount;
        }
      }
      return scored;
    });
    return { phase: 'scoring-ceiling', rowsHeld, rowsScored, wallSeconds, memory };
  } finally {
    model.dispose();
  }
}

export async function runPhase(spec: PhaseSpec): Promise<PhaseResult> {
  const engine = await ClickHouseEngine.open(spec.engine);
  try {
    switch (spec.phase) {
      case 'prepare':
        return await prepare(engine, spec);
      case 'end-to-end':
        return await endToEnd(engine, spec);
      case 'io-ceiling':
        return await ioCeiling(engine, spec);
      case 'scoring-ceiling':
        return await scoringCeiling(engine, spec);
    }
  } finally {
    await engine.close();
  }
}
