import { CATEGORY_MISSING, type ModelManifest, parseModelManifest } from '@platform/model-package';
import { RunAccumulator } from '../run-accumulator';
import { SeededRandom } from '@platform/domain';
import { verificationThresholds } from '../verification-gates';
import { type VerificationReport } from '../verification-report';
import { buildVerificationReport } from '../verification-report-builder';

/** Test data only: a model with one probability output, a numeric and a categorical key feature. */
export function testManifest(verification: Partial<ModelManifest['verification']> = {}): ModelManifest {
  return parseModelManifest(
    {
      manifestVersion: 1,
      name: 'churn',
      version: '1.0.0',
      format: 'layers-model',
      features: [
        { name: 'tenure', type: 'numeric', impute: 0 },
        { name: 'plan', type: 'categorical', categories: ['basic', 'pro', 'max'], missing: 'zeros' },
      ],
      outputs: [{ name: 'churn_probability', min: 0, max: 1 }],
      verification: { maxOutputPsi: 0.25, maxFeaturePsi: 0.25, psiFeatures: ['tenure', 'plan'], psiBins: 10, ...verification },
    },
    'test',
  );
}

export interface SimulatedRun {
  readonly runId: string;
  readonly seed: number;
  readonly rows: number;
  readonly chunkRows?: number;
  /** Added to every tenure value: 0 resamples the reference distribution. */
  readonly shift?: number;
  readonly reference?: VerificationReport | null;
  readonly manifest?: ModelManifest;
  /** Rows whose score is replaced by NaN, as a broken model would produce. */
  readonly nanRows?: number;
}

/**
 * Streams a run as the batch pipeline does: tenure ~ Normal(shift, 1) with 1 % missing, plan
 * codes with a skew and a few missing, score = sigmoid(tenure − 1) as Float32, segment = plan.
 */
export function simulateRun(run: SimulatedRun): VerificationReport {
  const manifest = run.manifest ?? testManifest();
  const reference = run.reference ?? null;
  const accumulator = new RunAccumulator(manifest, { reference, segmentColumns: ['plan'], seed: 7 });
  const generator = new SeededRandom(run.seed);
  const random = (): number => generator.next();
  const chunkRows = run.chunkRows ?? 65_536;
  let nanLeft = run.nanRows ?? 0;
  for (let start = 0; start < run.rows; start += chunkRows) {
    const rowCount = Math.min(chunkRows, run.rows - start);
    const tenure = new Float64Array(rowCount);
    const plan = new Int32Array(rowCount);
    const outputs = new Float32Array(rowCount);
    for (let row = 0; row < rowCount; row++) {
      const value = normal(random) + (run.shift ?? 0);
      tenure[row] = random() < 0.01 ? NaN : value;
      plan[row] = pickPlan(random());
      outputs[row] = nanLeft-- > 0 ? NaN : 1 / (1 + Math.exp(1 - value));
    }
    accumulator.observeSource({ rowCount, features: { tenure, plan } });
    accumulator.observeScored({ rowCount, outputs, segments: { plan } });
  }
  return buildVerificationReport({
    runId: run.runId,
    model: manifest.name,
    modelVersion: manifest.version,
    sourceRowCount: run.rows,
    observations: accumulator.observations(),
    thresholds: verificationThresholds(manifest),
    reference,
  });
}

/** Box-Muller. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function pickPlan(uniform: number): number {
  if (uniform < 0.6) return 0;
  if (uniform < 0.9) return 1;
  return uniform < 0.98 ? 2 : CATEGORY_MISSING;
}
