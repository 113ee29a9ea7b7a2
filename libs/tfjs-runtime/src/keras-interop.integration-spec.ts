import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TfjsModelRuntime } from './tfjs-model-runtime';

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, '..', '..', '..');
const FIXTURE_TIMEOUT_MS = 300_000;

interface ParityFixture {
  inputs: number[][];
  predictions: number[][];
}

/**
 * A Keras model (TensorFlow 2.15, a different shape from the demo MLP) converted with the official
 * tensorflowjs converter: our runtime must load the package and agree with Keras's own predictions.
 * The fixture script provisions its own cached Python environment (infra/python/keras-venv.sh).
 */
describe('Keras interoperability', () => {
  it(
    "scores a converted Keras model as Keras does, within 1e-5, on native TensorFlow",
    async () => {
      const out = mkdtempSync(join(tmpdir(), 'keras-parity-'));
      await run('bash', [join(REPO_ROOT, 'tools', 'keras-interop', 'make-parity-fixture.sh'), out], {
        cwd: REPO_ROOT,
        timeout: FIXTURE_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
      });
      const fixture = JSON.parse(readFileSync(join(out, 'parity.json'), 'utf8')) as ParityFixture;
      expect(fixture.inputs).toHaveLength(1_000);

      const runtime = await TfjsModelRuntime.create();
      expect(runtime.backend).toBe('tensorflow');
      const model = await runtime.load(join(out, 'package'));
      const columns: Record<string, Float32Array> = {};
      for (let feature = 0; feature < 7; feature++) {
        columns[`f${feature}`] = Float32Array.from(fixture.inputs.map((row) => row[feature]!));
      }
      const result = await model.score(columns, fixture.inputs.length);
      expect(result.rejections).toEqual([]);

      let maxDifference = 0;
      fixture.predictions.forEach((row, index) =>
        row.forEach((value, output) => {
          maxDifference = Math.max(maxDifference, Math.abs(value - result.outputs[index * 2 + output]!));
        }),
      );
      expect(maxDifference).toBeLessThanOrEqual(1e-5);
      model.dispose();
    },
    FIXTURE_TIMEOUT_MS + 60_000,
  );
});
