import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { type RunStage } from '@platform/batch-domain';
import { RUN_STAGES, type StageInterval } from './batch-throughput-phases';

/**
 * Where a run's main-thread time goes, from a V8 CPU profile (`node --cpu-prof`): every sample is
 * put in one category, by the innermost frame of its stack that a rule recognises, and in the run
 * stage that was busy at its timestamp (V8 stamps samples with process.hrtime's clock, µs).
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export const CATEGORIES = {
  decode: 'JS decode (Native / Arrow → typed columns, batch split)',
  encode: 'JS encode (output columns → Native / Arrow file)',
  predict: 'TF predict (tensor in, predict, download)',
  preprocess: 'preprocessing (standardize, impute, one-hot)',
  scorerGlue: 'scorer glue (slices, output copy)',
  verify: 'verification accumulators',
  pipeline: 'run pipeline (id checks, bookkeeping)',
  kafka: 'kafkajs (fetch, record batch decode, protocol)',
  validate: 'event validation (speed-domain, zod, JSON.parse)',
  speedIngest: 'speed ingest (micro-batching, rows for the store)',
  chdb: 'chDB binding on the main thread',
  nodeIo: 'HTTP client, Node streams, fs',
  gc: 'GC',
  program: 'V8 / native, unattributed',
  idle: 'idle: waiting on the engine or on other threads',
  other: 'other JS',
} as const;

export type Category = keyof typeof CATEGORIES;

/** The stage a sample fell in; `several` once stages overlap, `none` outside every stage. */
export type StageColumn = RunStage | 'several' | 'none';

/** Functions of the bulk I/O path by file: which side of the wire they work for. */
const DECODE_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  'native-format.ts': ['decodeNativeBlocks', 'readStringColumn', 'readString', 'throwIfServerError'],
  'byte-queue.ts': ['ByteQueue.fill', 'ByteQueue.atEnd', 'ByteQueue.peek', 'ByteQueue.take', 'ByteQueue.tryReadVarUInt', 'ByteQueue.readVarUInt', 'ByteQueue.readBytes'],
  'column-types.ts': ['fixedWidthArray'],
  'column-batch.ts': ['splitBatch', 'sliceBatch', 'sliceColumn'],
  'arrow-columns.ts': ['arrowIpcToBatches', 'rebase'],
};
const ENCODE_FUNCTIONS: Readonly<Record<string, readonly string[]>> = {
  'native-format.ts': ['encodeNativeBlock', 'encodeColumnValues', 'encodeStringColumn', 'encodeString'],
  'byte-queue.ts': ['writeVarUInt', 'varUIntLength'],
  'column-types.ts': ['bytesOf'],
  'arrow-columns.ts': ['batchToArrowFile'],
  'clickhouse-run-output-store.ts': ['repeated', 'outputLists'],
};

function listed(functions: Readonly<Record<string, readonly string[]>>, { functionName, url }: CallFrame): boolean {
  return url.includes('/libs/') && (functions[basename(url)]?.includes(functionName) ?? false);
}

/** The category a frame settles, or undefined to look at its caller. */
function categoryOfFrame(frame: CallFrame): Category | undefined {
  const { functionName, url } = frame;
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program';
  if (url.includes('/@tensorflow/')) return 'predict';
  if (url.includes('feature-preprocessor')) return 'preprocess';
  if (listed(DECODE_FUNCTIONS, frame)) return 'decode';
  if (listed(ENCODE_FUNCTIONS, frame)) return 'encode';
  if (url.includes('tfjs-model-runtime')) return 'scorerGlue';
  if (url.includes('/batch-verification/')) return 'verify';
  if (url.includes('/run-batch.')) return 'pipeline';
  if (url.includes('/kafkajs/')) return 'kafka';
  if (url.includes('/speed-domain/') || url.includes('/zod/')) return 'validate';
  if (url.includes('/speed-layer/') || url.includes('/rxjs/')) return 'speedIngest';
  if (url.includes('/node_modules/chdb/')) return 'chdb';
  if (url.includes('/@clickhouse/')) return 'nodeIo';
  return undefined;
}

function categoryOfStack(leaf: number, parents: ReadonlyMap<number, number>, frames: ReadonlyMap<number, CallFrame>): Category {
  let sawNodeInternals = false;
  for (let id: number | undefined = leaf; id !== undefined; id = parents.get(id)) {
    const frame = frames.get(id)!;
    const category = categoryOfFrame(frame);
    if (category !== undefined) return category;
    sawNodeInternals ||= frame.url.startsWith('node:');
  }
  return sawNodeInternals ? 'nodeIo' : 'other';
}

function stageAt(timeUs: number, intervals: readonly StageInterval[]): StageColumn {
  let found: RunStage | undefined;
  for (const interval of intervals) {
    if (interval.startUs > timeUs) break;
    if (timeUs < interval.endUs) {
      if (found !== undefined && found !== interval.stage) return 'several';
      found = interval.stage;
    }
  }
  return found ?? 'none';
}

export interface ProfileSummary {
  readonly windowSeconds: number;
  /** Seconds per category and stage column. */
  readonly seconds: ReadonlyMap<Category, ReadonlyMap<StageColumn, number>>;
  readonly topFunctions: readonly { readonly name: string; readonly category: Category; readonly seconds: number }[];
}

/** Summarises the samples of `profileFile` inside `window` (the run), by category and stage. */
export function summarizeCpuProfile(
  profileFile: string,
  window: { readonly startUs: number; readonly endUs: number },
  stageIntervals: readonly StageInterval[],
): ProfileSummary {
  const profile = JSON.parse(readFileSync(profileFile, 'utf8')) as CpuProfile;
  const frames = new Map<number, CallFrame>();
  const parents = new Map<number, number>();
  for (const node of profile.nodes) {
    frames.set(node.id, node.callFrame);
    for (const child of node.children ?? []) parents.set(child, node.id);
  }
  const intervals = [...stageIntervals].sort((a, b) => a.startUs - b.startUs);
  const seconds = new Map<Category, Map<StageColumn, number>>();
  const bySelf = new Map<string, { name: string; category: Category; seconds: number }>();
  const categoryOfLeaf = new Map<number, Category>();
  let time = profile.startTime;
  for (let index = 0; index < profile.samples.length; index++) {
    time += profile.timeDeltas[index]!;
    const next = index + 1 < profile.samples.length ? time + profile.timeDeltas[index + 1]! : profile.endTime;
    if (time < window.startUs || time >= window.endUs) continue;
    const leaf = profile.samples[index]!;
    let category = categoryOfLeaf.get(leaf);
    if (category === undefined) {
      category = categoryOfStack(leaf, parents, frames);
      categoryOfLeaf.set(leaf, category);
    }
    const duration = (next - time) / 1e6;
    const stage = stageAt(time, intervals);
    const row = seconds.get(category) ?? new Map<StageColumn, number>();
    row.set(stage, (row.get(stage) ?? 0) + duration);
    seconds.set(category, row);
    const frame = frames.get(leaf)!;
    const name = frame.url === '' ? frame.functionName : `${frame.functionName || '(anonymous)'} ${basename(frame.url)}:${frame.lineNumber + 1}`;
    const self = bySelf.get(name) ?? { name, category, seconds: 0 };
    self.seconds += duration;
    bySelf.set(name, self);
  }
  const topFunctions = [...bySelf.values()].sort((a, b) => b.seconds - a.seconds).slice(0, 15);
  return { windowSeconds: (window.endUs - window.startUs) / 1e6, seconds, topFunctions };
}

function total(row: ReadonlyMap<StageColumn, number>): number {
  return [...row.values()].reduce((sum, value) => sum + value, 0);
}

/** Markdown: seconds per category (rows) and stage (columns), and the top self-time functions. */
export function formatProfileSummary(title: string, summary: ProfileSummary): string[] {
  const columns = ([...RUN_STAGES, 'several', 'none'] as StageColumn[]).filter((column) =>
    [...summary.seconds.values()].some((row) => (row.get(column) ?? 0) >= 0.005),
  );
  const rows = [...summary.seconds.entries()].sort((a, b) => total(b[1]) - total(a[1]));
  const label = (column: StageColumn): string => (column === 'none' ? 'outside stages' : column === 'several' ? 'stages overlapping' : column);
  const lines = [
    `${title}: main-thread time over the run (${summary.windowSeconds.toFixed(2)} s), seconds by category and by the run stage busy at the sample`,
    '',
    `| category | total s | share | ${columns.map(label).join(' | ')} |`,
    `|---|---|---|${columns.map(() => '---').join('|')}|`,
    ...rows.map(
      ([category, row]) =>
        `| ${CATEGORIES[category]} | ${total(row).toFixed(2)} | ${((100 * total(row)) / summary.windowSeconds).toFixed(0)}% | ${columns.map((column) => (row.get(column) ?? 0).toFixed(2)).join(' | ')} |`,
    ),
    '',
    'top self-time functions:',
    '',
    '| function | category | self s |',
    '|---|---|---|',
    ...summary.topFunctions.map((fn) => `| \`${fn.name}\` | ${fn.category} | ${fn.seconds.toFixed(2)} |`),
  ];
  return lines;
}
