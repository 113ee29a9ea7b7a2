import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CATEGORY_MISSING, FeatureColumnsError } from '@platform/model-package';
import { modelArtifactsWriter, readModelArtifacts } from './model-files';
import { loadTensorflowBackend } from './tensorflow-backend';
import { MANIFEST_FILE } from '@platform/model-store';
import { ModelMismatchError } from './model-mismatch-error';
import { TfjsModelRuntime } from './tfjs-model-runtime';

const MANIFEST = {
  manifestVersion: 1,
  name: 'tiny',
  version: '1.0.0',
  format: 'layers-model',
  features: [
    { name: 'a', type: 'numeric', standardize: { mean: 1, std: 2 } },
    { name: 'b', type: 'numeric', impute: 0 },
    { name: 'c', type: 'categorical', categories: ['x', 'y'], missing: 'zeros' },
  ],
  outputs: [
    { name: 'p', min: 0, max: 1 },
    { name: 'q', min: 0, max: 1 },
  ],
} as const;

/** Writes a package whose model takes `inputWidth` columns and gives `outputs` columns. */
async function writePackage(manifest: object, inputWidth: number, outputs: number): Promise<string> {
  const { tf } = await loadTensorflowBackend();
  const dir = mkdtempSync(join(tmpdir(), 'model-package-'));
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [inputWidth], units: 8, activation: 'relu', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: outputs, activation: 'sigmoid', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  await model.save(modelArtifactsWriter(dir));
  model.dispose();
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  return dir;
}

describe.each(['main', 'worker'] as const)('TfjsModelRuntime scoring on the %s thread', (scoringThread) => {
  let runtime: TfjsModelRuntime;

  beforeAll(async () => {
    runtime = await TfjsModelRuntime.create({ scoringThread });
  });

  it('scores on native TensorFlow', () => {
    expect(runtime.backend).toBe('tensorflow');
    expect(runtime.native).toBe(true);
  });

  it('scores as the model itself predicts on the preprocessed rows, with NaN for rejected rows', async () => {
    const model = await runtime.load(await writePackage(MANIFEST, 4, 2));
    const { tf } = await loadTensorflowBackend();
    const reference = await tf.loadLayersModel({
      load: () => readModelArtifacts(join(model.packageDir, 'model.json')),
    });
    const rows = 1_000;
    const a = Float64Array.from({ length: rows }, (_, i) => i / 100);
    const b = Float32Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? NaN : i % 13));
    const c = Int32Array.from({ length: rows }, (_, i) => (i % 3 === 2 ? CATEGORY_MISSING : i % 3));
    a[5] = Infinity; // rejected: not finite
    const result = await model.score({ a, b, c }, rows);

    const matrix = new Float32Array(rows * 4);
    for (let i = 0; i < rows; i++) {
      matrix.set([(a[i]! - 1) / 2, Number.isNaN(b[i]!) ? 0 : b[i]!, c[i] === 0 ? 1 : 0, c[i] === 1 ? 1 : 0], i * 4);
    }
    const expected = tf.tidy(() => (reference.predict(tf.tensor2d(matrix, [rows, 4])) as ReturnType<typeof tf.tensor2d>).dataSync());
    reference.dispose();
    expect(result.rejections).toEqual([{ row: 5, feature: 'a', reason: 'not-finite' }]);
    for (let i = 0; i < rows * 2; i++) {
      if (i === 10 || i === 11) expect(result.outputs[i]).toBeNaN();
      else expect(Math.abs(result.outputs[i]! - expected[i]!)).toBeLessThan(1e-6);
    }
    model.dispose();
  });

  it('scores inputs larger than one batch in bounded slices', async () => {
    const small = await TfjsModelRuntime.create({ maxBatchRows: 100, scoringThread });
    const model = await small.load(await writePackage(MANIFEST, 4, 2));
    const rows = 1_050;
    const result = await model.score(
      { a: new Float32Array(rows).fill(1), b: new Float32Array(rows), c: new Int32Array(rows) },
      rows,
    );
    expect(result.outputs).toHaveLength(rows * 2);
    expect(result.outputs[0]).toBeCloseTo(result.outputs[(rows - 1) * 2]!, 6);
    model.dispose();
  });

  it('scores chunk after chunk, of other sizes and some at once, each as if alone (reused input buffers)', async () => {
    const model = await runtime.load(await writePackage(MANIFEST, 4, 2));
    const chunk = (rows: number, seed: number) => ({
      a: Float64Array.from({ length: rows }, (_, i) => ((i * seed) % 17) / 3),
      b: Float32Array.from({ length: rows }, (_, i) => (i + seed) % 5),
      c: Int32Array.from({ length: rows }, (_, i) => (i + seed) % 2),
    });
    const large = chunk(1_000, 3);
    const small = chunk(300, 7);
    const alone = [(await model.score(large, 1_000)).outputs, (await model.score(small, 300)).outputs];
    const together = await Promise.all([model.score(large, 1_000), model.score(small, 300), model.score(large, 1_000)]);
    expect(together.map((result) => result.outputs)).toEqual([alone[0], alone[1], alone[0]]);
    model.dispose();
  });

  it('refuses a model whose input width differs from the manifest, naming both', async () => {
    const dir = await writePackage(MANIFEST, 5, 2);
    await expect(runtime.load(dir)).rejects.toThrow(ModelMismatchError);
    await expect(runtime.load(dir)).rejects.toThrow(/takes input \[\?, 5\], but its manifest's 3 features make rows of width 4/);
  });

  it('refuses a model whose output count differs from the manifest', async () => {
    const dir = await writePackage(MANIFEST, 4, 3);
    await expect(runtime.load(dir)).rejects.toThrow(/produces \[\?, 3\], but its manifest declares 2 output\(s\): p, q/);
  });

  it('refuses a package whose manifest names the wrong format', async () => {
    const dir = await writePackage({ ...MANIFEST, format: 'graph-model' }, 4, 2);
    await expect(runtime.load(dir)).rejects.toThrow(/does not load as a graph-model/);
  });

  it('refuses an invalid manifest before reading the model', async () => {
    const dir = await writePackage({ ...MANIFEST, version: 'latest' }, 4, 2);
    await expect(runtime.load(dir)).rejects.toThrow(/version must be semantic/);
  });

  it('fails a score with a missing column as bad input, keeps scoring, and refuses scores once disposed', async () => {
    const model = await runtime.load(await writePackage(MANIFEST, 4, 2));
    await expect(model.score({ a: new Float32Array(2), b: new Float32Array(2) }, 2)).rejects.toThrow(FeatureColumnsError);
    // Views into a larger buffer score as their own rows.
    const shared = new Float32Array(10).fill(1);
    const result = await model.score({ a: shared.subarray(2, 5), b: shared.subarray(5, 8), c: new Int32Array(3) }, 3);
    expect(result.outputs).toHaveLength(6);
    model.dispose();
    await expect(model.score({ a: new Float32Array(1), b: new Float32Array(1), c: new Int32Array(1) }, 1)).rejects.toThrow(/disposed/);
  });
});

describe('TfjsModelRuntime on the main thread', () => {
  it('keeps the tensor count flat over 1,000 scored batches', async () => {
    const runtime = await TfjsModelRuntime.create();
    const model = await runtime.load(await writePackage(MANIFEST, 4, 2));
    const columns = { a: new Float32Array(64), b: new Float32Array(64), c: new Int32Array(64) };
    await model.score(columns, 64);
    const before = runtime.tensorCount();
    for (let i = 0; i < 1_000; i++) await model.score(columns, 64);
    expect(runtime.tensorCount()).toBe(before);
    model.dispose();
  });
});

