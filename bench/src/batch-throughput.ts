import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ClickHouseEngine, type EngineConfig, type EngineKind } from '@platform/clickhouse-store';
import { CHURN_DEMO_TABLE } from '@platform/demo-churn';
import {
  type EndToEndResult,
  errorFileOf,
  type IoCeilingResult,
  type PhaseName,
  type PhaseResult,
  type PhaseSpec,
  type PrepareResult,
  RUN_STAGES,
  type ScoringCeilingResult,
  type StageInterval,
} from './batch-throughput-phases';
import { formatProfileSummary, summarizeCpuProfile } from './cpu-profile-summary';
import { type MemoryAndCpu } from './peak-rss-sampler';
import { type ClickHouseServer, ensureClickHouseServer } from './local-clickhouse-server';
import { revision } from './revision';
import { positiveIntegers, spawnPhase } from './bench-cli';

/**
 * Batch run throughput, end to end, beside its two ceilings measured in the same run:
 *
 *   npm run bench -- batch-throughput [--rows 1000000,10000000] [--engines chdb,server]
 *       [--chunk-rows N] [--pipeline-depth N] [--source snapshot|table] [--profile-rows N|0]
 *       [--scoring-held-rows N] [--repeat N] [--timeout-minutes M]
 *
 * Per engine and row count, on a fresh database holding the demo source and the demo model:
 *  - end to end: one run through createRunBatch(...).execute (read, score, write, verify, publish);
 *  - I/O ceiling: the run's source read and prediction write (constant outputs), no scoring;
 *  - scoring ceiling: LoadedModel.score over chunks already in memory (at most --scoring-held-rows
 *    held, scored over and over up to the row count).
 * Every phase runs in a child process of its own, so each peak RSS is that phase's. With
 * --profile-rows (default: the first row count), one more end-to-end run is profiled
 * (node --cpu-prof) and summarised by category and run stage. `--source table` reads the demo table
 * as is instead of the deployment's snapshot. The demo source holds one row per entity and no
 * feature events, so its snapshot is read the same way (read plan `base-rows`, printed beside the
 * snapshot count); a source with history or events pays a sort and a join on top.
 * --repeat N runs the three phases N times in turn (end to end, I/O, scoring, end to end, ...), so
 * drift of a shared host weighs on all alike; the tables show each phase's median round and a
 * line lists every round's rate. The first round's run has no reference run; later ones count
 * their PSI bins on the previous run's edges, as every scheduled run after the first does.
 */

const CHILD_ENTRY = join(__dirname, 'batch-throughput-child.ts');
const REPO_ROOT = join(__dirname, '..', '..');
const MB = 1024 * 1024;

interface Options {
  readonly rows: readonly number[];
  readonly engines: readonly EngineKind[];
  readonly deploymentOverrides: Readonly<Record<string, unknown>>;
  readonly profileRows: number;
  readonly scoringHeldRows: number;
  readonly repeat: number;
  readonly timeoutMs: number;
}

/** Rows per second of each round of a phase, in the order run. */
interface RoundRates {
  readonly endToEnd: number[];
  readonly io: number[];
  readonly scoring: number[];
}

interface Measurement {
  readonly engine: EngineKind;
  readonly rows: number;
  prepare: PrepareResult | undefined;
  endToEnd: EndToEndResult | undefined;
  io: IoCeilingResult | undefined;
  scoring: ScoringCeilingResult | undefined;
  profile: { readonly run: EndToEndResult; readonly summary: string[]; readonly file: string } | undefined;
  readonly rounds: RoundRates;
  readonly failures: string[];
}

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000,10000000' },
      engines: { type: 'string', default: 'chdb,server' },
      'chunk-rows': { type: 'string' },
      'pipeline-depth': { type: 'string' },
      source: { type: 'string', default: 'snapshot' },
      'profile-rows': { type: 'string' },
      'scoring-held-rows': { type: 'string', default: '1048576' },
      repeat: { type: 'string', default: '1' },
      'timeout-minutes': { type: 'string', default: '20' },
    },
  });
  const rows = positiveIntegers(values.rows, '--rows');
  if (values.source !== 'snapshot' && values.source !== 'table') throw new Error(`--source takes snapshot or table, got ${values.source}`);
  const engines = values.engines.split(',').map((engine) => engine.trim());
  for (const engine of engines) if (engine !== 'chdb' && engine !== 'server') throw new Error(`--engines takes chdb and/or server, got ${engine}`);
  return {
    rows,
    engines: engines as EngineKind[],
    deploymentOverrides: {
      ...(values['chunk-rows'] === undefined ? {} : { chunkRows: positiveIntegers(values['chunk-rows'], '--chunk-rows')[0]! }),
      ...(values['pipeline-depth'] === undefined ? {} : { pipelineDepth: positiveIntegers(values['pipeline-depth'], '--pipeline-depth')[0]! }),
      // The demo source holds one row per entity: read as a plain table, the rows are the snapshot's.
      ...(values.source === 'table' ? { source: { kind: 'table', table: CHURN_DEMO_TABLE } } : {}),
    },
    profileRows: values['profile-rows'] === undefined ? rows[0]! : Number(values['profile-rows']),
    scoringHeldRows: positiveIntegers(values['scoring-held-rows'], '--scoring-held-rows')[0]!,
    repeat: positiveIntegers(values.repeat, '--repeat')[0]!,
    timeoutMs: Number(values['timeout-minutes']) * 60_000,
  };
}

function log(message: string): void {
  process.stderr.write(`[batch-throughput] ${message}\n`);
}

/** Runs one phase in a child process; kills it past the timeout. */
function runChild<P extends PhaseName>(
  spec: PhaseSpec & { readonly phase: P },
  timeoutMs: number,
  cpuProfile: { readonly dir: string; readonly name: string } | null,
): Promise<Extract<PhaseResult, { readonly phase: P }>> {
  return spawnPhase<Extract<PhaseResult, { readonly phase: P }>>(CHILD_ENTRY, spec, errorFileOf(spec), timeoutMs, cpuProfile).result;
}

function engineConfig(engine: EngineKind, server: ClickHouseServer | null, workDir: string, database: string): EngineConfig {
  if (engine === 'chdb') return { kind: 'chdb', path: join(workDir, 'chdb'), database };
  if (server === null) throw new Error('the server engine needs a server');
  return { kind: 'server', url: server.url, database };
}

async function measure(engine: EngineKind, rows: number, options: Options, server: ClickHouseServer | null, profileDir: string): Promise<Measurement> {
  const measurement: Measurement = {
    engine,
    rows,
    prepare: undefined,
    endToEnd: undefined,
    io: undefined,
    scoring: undefined,
    profile: undefined,
    rounds: { endToEnd: [], io: [], scoring: [] },
    failures: [],
  };
  const workDir = mkdtempSync(join(tmpdir(), `batch-throughput-${engine}-${rows}-`));
  const config = engineConfig(engine, server, workDir, `bench_${rows}_${Date.now().toString(36)}`);
  const spec = <P extends PhaseName>(phase: P, tag: string = phase): PhaseSpec & { readonly phase: P } => ({
    phase,
    engine: config,
    rows,
    deploymentOverrides: options.deploymentOverrides,
    registryDir: join(workDir, 'models'),
    lockDir: join(workDir, 'locks'),
    serverPid: engine === 'server' ? (server?.pid ?? null) : null,
    scoringHeldRows: options.scoringHeldRows,
    resultFile: join(workDir, `${tag}.json`),
  });
  mkdirSync(join(workDir, 'locks'));
  const attempt = async <T extends PhaseResult>(label: string, step: () => Promise<T>): Promise<T | undefined> => {
    log(`${engine}, ${rows.toLocaleString('en-US')} rows: ${label}`);
    try {
      return await step();
    } catch (error) {
      measurement.failures.push(`${label}: ${(error as Error).message}`);
      log(`${engine}, ${rows} rows: ${label} FAILED: ${(error as Error).message}`);
      return undefined;
    }
  };
  try {
    measurement.prepare = await attempt('prepare (demo source, OPTIMIZE FINAL, model)', () => runChild(spec('prepare'), options.timeoutMs, null));
    if (measurement.prepare === undefined) return measurement;
    const endToEnds: EndToEndResult[] = [];
    const ios: IoCeilingResult[] = [];
    const scorings: ScoringCeilingResult[] = [];
    for (let round = 1; round <= options.repeat; round++) {
      const of = options.repeat === 1 ? '' : ` (round ${round} of ${options.repeat})`;
      const endToEnd = await attempt(`end to end${of}`, () => runChild(spec('end-to-end', `end-to-end-${round}`), options.timeoutMs, null));
      const io = await attempt(`I/O ceiling${of}`, () => runChild(spec('io-ceiling', `io-ceiling-${round}`), options.timeoutMs, null));
      const scoring = await attempt(`scoring ceiling${of}`, () => runChild(spec('scoring-ceiling', `scoring-ceiling-${round}`), options.timeoutMs, null));
      if (endToEnd !== undefined) endToEnds.push(endToEnd);
      if (io !== undefined) ios.push(io);
      if (scoring !== undefined) scorings.push(scoring);
    }
    measurement.rounds.endToEnd.push(...endToEnds.map(endToEndRate));
    measurement.rounds.io.push(...ios.map(ioRate));
    measurement.rounds.scoring.push(...scorings.map(scoringRate));
    measurement.endToEnd = medianBy(endToEnds, endToEndRate);
    measurement.io = medianBy(ios, ioRate);
    measurement.scoring = medianBy(scorings, scoringRate);
    if (rows === options.profileRows) {
      const name = `${engine}-${rows}.cpuprofile`;
      const run = await attempt('end to end, CPU-profiled', () =>
        runChild(spec('end-to-end', 'end-to-end-profiled'), options.timeoutMs, { dir: profileDir, name }),
      );
      if (run !== undefined) {
        const file = join(profileDir, name);
        const title = `${engine}, ${rows.toLocaleString('en-US')} rows, profiled run ${rate(run.rows / run.wallSeconds)} rows/s`;
        measurement.profile = { run, file, summary: formatProfileSummary(title, summarizeCpuProfile(file, run.runWindow, run.stageIntervals)) };
      }
    }
    return measurement;
  } finally {
    if (engine === 'server') {
      const dropping = await ClickHouseEngine.open(config);
      await dropping.dropDatabase();
      await dropping.close();
    }
    rmSync(workDir, { recursive: true, force: true });
  }
}

const endToEndRate = (result: EndToEndResult): number => result.rows / result.wallSeconds;
const ioRate = (result: IoCeilingResult): number => result.rows / result.wallSeconds;
const scoringRate = (result: ScoringCeilingResult): number => result.rowsScored / result.wallSeconds;

/** The round of median rate (the lower middle one of an even count). */
function medianBy<T>(results: readonly T[], rateOf: (result: T) => number): T | undefined {
  const sorted = [...results].sort((a, b) => rateOf(a) - rateOf(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

function rate(rowsPerSecond: number): string {
  return rowsPerSecond >= 1e6 ? `${(rowsPerSecond / 1e6).toFixed(2)}M` : `${(rowsPerSecond / 1e3).toFixed(0)}k`;
}

function mb(bytes: number): string {
  return (bytes / MB).toFixed(0);
}

function seconds(value: number): string {
  return value.toFixed(2);
}

function orDash<T>(value: T | undefined, show: (value: T) => string): string {
  return value === undefined ? '—' : show(value);
}

/** CPU time per row of every thread of ours, plus the server's when it was sampled. */
function cpuPerRow(memory: MemoryAndCpu, rows: number): string {
  const ours = (memory.processCpuSeconds / rows) * 1e6;
  return memory.server === null ? ours.toFixed(1) : `${ours.toFixed(1)} + ${((memory.server.cpuSeconds / rows) * 1e6).toFixed(1)}`;
}

function ceilingRates(m: Measurement): { io?: number; scoring?: number } {
  return {
    ...(m.io === undefined ? {} : { io: ioRate(m.io) }),
    ...(m.scoring === undefined ? {} : { scoring: scoringRate(m.scoring) }),
  };
}

function mainTable(measurements: readonly Measurement[]): string[] {
  const lines = [
    '| engine | rows | end-to-end rows/s | wall s | I/O ceiling rows/s | scoring ceiling rows/s | end-to-end / lower ceiling | lower ceiling | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of measurements) {
    const e2e = m.endToEnd;
    const { io, scoring } = ceilingRates(m);
    const lower = io === undefined || scoring === undefined ? undefined : Math.min(io, scoring);
    const e2eRate = e2e === undefined ? undefined : endToEndRate(e2e);
    const scoringNote = m.scoring !== undefined && m.scoring.rowsHeld < m.rows ? ` (${(m.scoring.rowsHeld / 1e6).toFixed(2)}M held, repeated)` : '';
    lines.push(
      `| ${m.engine} | ${m.rows.toLocaleString('en-US')} | ${orDash(e2eRate, rate)} | ${orDash(e2e, (r) => seconds(r.wallSeconds))} | ${orDash(io, rate)} | ` +
        `${orDash(scoring, rate)}${scoringNote} | ${e2eRate === undefined || lower === undefined ? '—' : (e2eRate / lower).toFixed(2)} | ` +
        `${lower === undefined ? '—' : lower === io ? 'I/O' : 'scoring'} | ${orDash(e2e, (r) => mb(Math.max(r.memory.peakRssBytes, r.memory.lifetimeMaxRssBytes)))} |`,
    );
  }
  return lines;
}

/** Seconds covered by at least one interval: busy times overlap once the run pipelines its stages. */
function coveredSeconds(intervals: readonly StageInterval[]): number {
  let covered = 0;
  let reach = -Infinity;
  for (const { startUs, endUs } of [...intervals].sort((a, b) => a.startUs - b.startUs)) {
    if (endUs > reach) {
      covered += endUs - Math.max(startUs, reach);
      reach = endUs;
    }
  }
  return covered / 1e6;
}

function stageTable(measurements: readonly Measurement[]): string[] {
  const lines = [
    `| engine | rows | ${RUN_STAGES.map((stage) => `${stage} s`).join(' | ')} | stages overlapped s | outside stages s | wall s |`,
    `|---|---|${RUN_STAGES.map(() => '---').join('|')}|---|---|---|`,
  ];
  for (const m of measurements) {
    const e2e = m.endToEnd;
    if (e2e === undefined) continue;
    const busy = RUN_STAGES.reduce((sum, stage) => sum + e2e.stageSeconds[stage], 0);
    const covered = coveredSeconds(e2e.stageIntervals);
    lines.push(
      `| ${m.engine} | ${m.rows.toLocaleString('en-US')} | ${RUN_STAGES.map((stage) => seconds(e2e.stageSeconds[stage])).join(' | ')} | ` +
        `${seconds(Math.max(0, busy - covered))} | ${seconds(Math.max(0, e2e.wallSeconds - covered))} | ${seconds(e2e.wallSeconds)} |`,
    );
  }
  return lines;
}

function detailTable(measurements: readonly Measurement[]): string[] {
  const lines = [
    '| engine | rows | source write rows/s (OPTIMIZE s) | snapshot count s (read plan) | I/O ceiling read s / write s | RSS MB: end to end (run start → sampled peak / maxRSS); maxRSS of I/O, of scoring | server RSS MB in run (start → peak) | CPU µs per row, ours + server: end to end, I/O, scoring |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const m of measurements) {
    const e2e = m.endToEnd?.memory;
    const server = e2e?.server ?? null;
    lines.push(
      `| ${m.engine} | ${m.rows.toLocaleString('en-US')} | ${orDash(m.prepare, (p) => `${rate(p.rowsWritten / p.writeSeconds)} (${seconds(p.optimizeSeconds)})`)} | ` +
        `${orDash(m.io, (io) => `${seconds(io.snapshotSeconds)} (${io.readPlan})`)} | ${orDash(m.io, (io) => `${seconds(io.readSeconds)} / ${seconds(io.writeSeconds)}`)} | ` +
        `${orDash(e2e, (r) => `${mb(r.startRssBytes)} → ${mb(r.peakRssBytes)} / ${mb(r.lifetimeMaxRssBytes)}`)}; ${orDash(m.io, (io) => mb(io.memory.lifetimeMaxRssBytes))}, ` +
        `${orDash(m.scoring, (s) => mb(s.memory.lifetimeMaxRssBytes))} | ${server === null ? '—' : `${mb(server.startRssBytes)} → ${mb(server.peakRssBytes)}`} | ` +
        `${orDash(e2e, (r) => cpuPerRow(r, m.rows))}, ${orDash(m.io, (io) => cpuPerRow(io.memory, io.rows))}, ${orDash(m.scoring, (sc) => cpuPerRow(sc.memory, sc.rowsScored))} |`,
    );
  }
  for (const m of measurements.filter(({ rounds }) => rounds.endToEnd.length > 1)) {
    const list = (rates: readonly number[]): string => rates.map(rate).join(', ');
    lines.push(
      '',
      `${m.engine}, ${m.rows.toLocaleString('en-US')} rows, rounds in order (the table shows each median): end to end ${list(m.rounds.endToEnd)}; ` +
        `I/O ceiling ${list(m.rounds.io)}; scoring ceiling ${list(m.rounds.scoring)}`,
    );
  }
  return lines;
}

function flatMemoryLines(measurements: readonly Measurement[], engines: readonly EngineKind[]): string[] {
  const lines: string[] = [];
  for (const engine of engines) {
    const runs = measurements.filter((m) => m.engine === engine && m.endToEnd !== undefined).sort((a, b) => a.rows - b.rows);
    const smallest = runs[0];
    const largest = runs.at(-1);
    if (smallest === undefined || largest === undefined || smallest === largest) continue;
    const peak = (m: Measurement): number => Math.max(m.endToEnd!.memory.peakRssBytes, m.endToEnd!.memory.lifetimeMaxRssBytes);
    lines.push(
      `${engine}: peak RSS ${largest.rows.toLocaleString('en-US')} rows / ${smallest.rows.toLocaleString('en-US')} rows = ` +
        `${mb(peak(largest))} / ${mb(peak(smallest))} MB = ${(peak(largest) / peak(smallest)).toFixed(2)}x (target ≤ 1.2x)`,
    );
  }
  return lines;
}

async function main(): Promise<void> {
  const options = parseOptions();
  const server = options.engines.includes('server') ? await ensureClickHouseServer() : null;
  const profileDir = join(REPO_ROOT, '.run', 'bench', `batch-throughput-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(profileDir, { recursive: true });
  const measurements: Measurement[] = [];
  try {
    for (const engine of options.engines) {
      for (const rows of options.rows) measurements.push(await measure(engine, rows, options, server, profileDir));
    }
  } finally {
    await server?.stop();
  }
  const settings = measurements.find((m) => m.endToEnd !== undefined)?.endToEnd?.settings;
  const pipeline =
    settings === undefined
      ? ''
      : `, source ${settings.source}, chunkRows ${settings.chunkRows}, ${settings.pipelineDepth === null ? 'no pipelineDepth (sequential run loop)' : `pipelineDepth ${settings.pipelineDepth}`}`;
  const lines = [
    `batch run throughput, demo churn model${pipeline}, revision ${revision()}, ${new Date().toISOString()}`,
    '',
    ...mainTable(measurements),
    '',
    'stage busy time of the end-to-end run (RunBatch onStageTimed); stages overlapped = busy time beyond the wall time the stages cover together; outside stages = wall time no stage covers (model load, snapshot count, run records):',
    '',
    ...stageTable(measurements),
    '',
    ...detailTable(measurements),
    '',
    ...flatMemoryLines(measurements, options.engines),
  ];
  for (const m of measurements) {
    if (m.profile !== undefined) lines.push('', ...m.profile.summary, '', `raw profile: ${m.profile.file}`);
  }
  const failures = measurements.flatMap((m) => m.failures.map((failure) => `${m.engine}, ${m.rows} rows: ${failure}`));
  if (failures.length > 0) {
    lines.push('', 'FAILED:', ...failures);
    process.exitCode = 1;
  }
  writeFileSync(join(profileDir, 'results.json'), JSON.stringify(measurements, null, 2));
  lines.push('', `raw results: ${join(profileDir, 'results.json')}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
