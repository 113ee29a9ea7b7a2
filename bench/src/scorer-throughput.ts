import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Tensor } from '@tensorflow/tfjs';
import { generateChurnChunk } from '@platform/demo-churn';
import { type FeatureColumns, FeaturePreprocessor } from '@platform/model-package';
import { loadTensorflowBackend, readModelArtifacts, TfjsModelRuntime } from '@platform/tfjs-runtime';
import { ensureDemoModel } from './demo-model-package';

/**
 * Scorer throughput on the demo churn model: typed feature columns in, Float32Array out, with
 * preprocessing, tensor creation, predict, download and dispose all counted. Beside it, the ceiling
 * measured in the same run: predict + download alone on a ready input tensor of the same size.
 * Then the same on pure-JS TensorFlow.js in a child process.
 *
 *   npm run bench -- scorer-throughput [--rows N] [--child]
 */

const BATCH_SIZES = [1_024, 4_096, 16_384, 65_536];
const SEED = 7;

interface Measurement {
  readonly backend: string;
  readonly batchRows: number;
  readonly scorerRowsPerSecond: number;
  readonly ceilingRowsPerSecond: number;
}

function sliceColumns(columns: FeatureColumns, start: number, rows: number): FeatureColumns {
  return Object.fromEntries(Object.entries(columns).map(([name, values]) => [name, values.subarray(start, start + rows)]));
}

async function measure(rows: number): Promise<Measurement[]> {
  const packageDir = await ensureDemoModel();
  const data = generateChurnChunk(SEED, 50_000_000, rows);
  const results: Measurement[] = [];
  const { tf, name: backend } = await loadTensorflowBackend();
  const reference = await tf.loadLayersModel({ load: () => readModelArtifacts(join(packageDir, 'model.json')) });
  for (const batchRows of BATCH_SIZES) {
    const runtime = await TfjsModelRuntime.create({ maxBatchRows: batchRows });
    const model = await runtime.load(packageDir);
    await model.score(sliceColumns(data.features, 0, batchRows), batchRows); // warm-up
    let start = performance.now();
    for (let offset = 0; offset + batchRows <= rows; offset += batchRows) {
      await model.score(sliceColumns(data.features, offset, batchRows), batchRows);
    }
    const scored = Math.floor(rows / batchRows) * batchRows;
    const scorerRowsPerSecond = scored / ((performance.now() - start) / 1000);

    const input = new FeaturePreprocessor(model.manifest).preprocess(data.features, batchRows);
    const x = tf.tensor2d(input.matrix, [batchRows, input.width]);
    (reference.predict(x, { batchSize: batchRows }) as Tensor).dispose(); // warm-up
    start = performance.now();
    for (let offset = 0; offset + batchRows <= rows; offset += batchRows) {
      const y = reference.predict(x, { batchSize: batchRows }) as Tensor;
      await y.data();
      y.dispose();
    }
    const ceilingRowsPerSecond = scored / ((performance.now() - start) / 1000);
    x.dispose();
    model.dispose();
    results.push({ backend, batchRows, scorerRowsPerSecond, ceilingRowsPerSecond });
  }
  reference.dispose();
  return results;
}

async function pureJsInChildProcess(rows: number): Promise<Measurement[]> {
  const { stdout } = await promisify(execFile)(process.execPath, [...process.execArgv, __filename, '--child', '--rows', String(rows)], {
    env: { ...process.env, PLATFORM_TFJS_BACKEND: 'cpu' },
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Measurement[];
}

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
}

function format(rate: number): string {
  return rate >= 1e6 ? `${(rate / 1e6).toFixed(2)}M` : `${(rate / 1e3).toFixed(0)}k`;
}

async function main(): Promise<void> {
  if (process.argv.includes('--child')) {
    process.stdout.write(`${JSON.stringify(await measure(argument('--rows', 65_536)))}\n`);
    return;
  }
  const rows = argument('--rows', 1 << 20);
  const native = await measure(rows);
  const pureJs = await pureJsInChildProcess(Math.min(rows, 1 << 16));
  const lines = [
    `scorer throughput, demo churn model, ${rows} rows (pure JS: ${Math.min(rows, 1 << 16)} rows), ${new Date().toISOString()}`,
    '| backend | batch rows | scorer rows/s | ceiling rows/s (predict + download) | scorer / ceiling |',
    '|---|---|---|---|---|',
    ...[...native, ...pureJs].map(
      (m) =>
        `| ${m.backend} | ${m.batchRows} | ${format(m.scorerRowsPerSecond)} | ${format(m.ceilingRowsPerSecond)} | ${(m.scorerRowsPerSecond / m.ceilingRowsPerSecond).toFixed(2)} |`,
    ),
  ];
  const best = Math.max(...native.map((m) => m.scorerRowsPerSecond));
  const bestPureJs = Math.max(...pureJs.map((m) => m.scorerRowsPerSecond));
  lines.push('', `native best ${format(best)} rows/s, ${(best / bestPureJs).toFixed(0)}x pure JS (${format(bestPureJs)} rows/s)`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
