import { performance } from 'node:perf_hooks';
import type { LayersModel, Sequential, Tensor } from '@tensorflow/tfjs';
import { FeaturePreprocessor, type ModelManifest } from '@platform/model-package';
import { loadTensorflowBackend, type Tf } from '@platform/tfjs-runtime';
import { auc } from './auc';
import { type ChurnChunk, generateChurnChunk } from './churn-generator';
import { buildChurnManifest, CHURN_OUTPUT } from './churn-manifest';
import { assertSeed, deriveSeed, SeededRandom } from '@platform/domain';

/** What the issue asks of the demo model, measured on the holdout. */
export const CHURN_MODEL_TARGETS = { maxGapToOracle: 0.02, minLiftOverBaseline: 0.03 } as const;

export interface ChurnTrainingOptions {
  /** Semantic version written into the manifest. */
  readonly version: string;
  readonly seed: number;
  readonly trainRows?: number;
  /** Entities after the training rows in the same data set: never seen in training. */
  readonly holdoutRows?: number;
  /**
   * Batch size per epoch; its length is the number of epochs. Growing batches anneal the gradient
   * noise as a decaying learning rate would (Smith et al., 2017) and make late epochs cheap.
   */
  readonly batchSchedule?: readonly number[];
  readonly baselineBatchSchedule?: readonly number[];
  readonly hiddenUnits?: readonly number[];
  readonly learningRate?: number;
}

export const DEFAULT_CHURN_TRAINING = {
  trainRows: 200_000,
  holdoutRows: 100_000,
  batchSchedule: [256, 256, 512, 512, 1024, 1024, 2048, 4096],
  // Logistic regression is convex: ten epochs reach its optimum (twenty gain < 0.001 AUC).
  baselineBatchSchedule: [512, 512, 1024, 1024, 2048, 2048, 4096, 4096, 4096, 4096],
  hiddenUnits: [64, 32],
  learningRate: 0.003,
} as const;

export interface ChurnTrainingReport {
  readonly model: string;
  readonly version: string;
  readonly seed: number;
  readonly backend: string;
  readonly trainRows: number;
  readonly holdoutRows: number;
  readonly batchSchedule: readonly number[];
  readonly hiddenUnits: readonly number[];
  readonly holdoutChurnRate: number;
  readonly modelAuc: number;
  readonly oracleAuc: number;
  readonly baselineAuc: number;
  readonly gapToOracle: number;
  readonly liftOverBaseline: number;
  readonly meetsTargets: boolean;
  /** MLP fit only; baseline fit separately; total includes data generation and evaluation. */
  readonly trainSeconds: number;
  readonly baselineSeconds: number;
  readonly totalSeconds: number;
}

export interface TrainedChurnModel {
  readonly manifest: ModelManifest;
  /** Owned by the caller: dispose it when done. */
  readonly model: LayersModel;
  readonly report: ChurnTrainingReport;
}

interface Matrix {
  readonly values: Float32Array;
  readonly rows: number;
  readonly width: number;
}

function inputMatrix(preprocessor: FeaturePreprocessor, chunk: ChurnChunk): Matrix {
  const { matrix, rowCount, width } = preprocessor.preprocess(chunk.features, chunk.rowCount);
  return { values: matrix, rows: rowCount, width };
}

/**
 * Dense layers with seeded initializers: the same seed gives the same starting weights. Names are
 * explicit because tfjs numbers unnamed layers per process, and the names land in model.json.
 */
function createMlp(tf: Tf, width: number, hiddenUnits: readonly number[], seed: number): Sequential {
  const model = tf.sequential({ name: 'churn_mlp' });
  hiddenUnits.forEach((units, layer) => {
    model.add(
      tf.layers.dense({
        ...(layer === 0 ? { inputShape: [width] } : {}),
        name: `hidden_${layer + 1}`,
        units,
        activation: 'relu',
        kernelInitializer: tf.initializers.heNormal({ seed: deriveSeed(seed, layer) }),
      }),
    );
  });
  const outputInitializer = tf.initializers.glorotUniform({ seed: deriveSeed(seed, hiddenUnits.length) });
  model.add(tf.layers.dense({ name: CHURN_OUTPUT, units: 1, activation: 'sigmoid', kernelInitializer: outputInitializer }));
  return model;
}

/** The baseline: logistic regression on the very same one-hot, standardized inputs. */
function createLogisticRegression(tf: Tf, width: number): Sequential {
  const layer = tf.layers.dense({ name: 'logistic', inputShape: [width], units: 1, activation: 'sigmoid', kernelInitializer: 'zeros' });
  return tf.sequential({ name: 'churn_baseline', layers: [layer] });
}

/** A seeded permutation of 0..n-1 (Fisher-Yates). */
function permutation(n: number, seed: number): Int32Array {
  const random = new SeededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    const swap = order[i]!;
    order[i] = order[j]!;
    order[j] = swap;
  }
  return order;
}

interface FitSettings {
  readonly batchSchedule: readonly number[];
  readonly learningRate: number;
  readonly seed: number;
}

/**
 * tfjs's own shuffle uses Math.random; we shuffle each epoch with a seeded permutation instead
 * and let fit walk the rows in order, so the run is reproducible bit for bit.
 */
async function fitDeterministically(tf: Tf, model: Sequential, input: Matrix, labels: Uint8Array, settings: FitSettings): Promise<void> {
  const optimizer = tf.train.adam(settings.learningRate);
  model.compile({ optimizer, loss: 'binaryCrossentropy' });
  const x = tf.tensor2d(input.values, [input.rows, input.width]);
  const y = tf.tensor2d(Float32Array.from(labels), [input.rows, 1]);
  try {
    for (const [epoch, batchSize] of settings.batchSchedule.entries()) {
      const order = tf.tensor1d(permutation(input.rows, deriveSeed(settings.seed, epoch)), 'int32');
      const xs = tf.gather(x, order);
      const ys = tf.gather(y, order);
      order.dispose();
      try {
        await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0 });
      } finally {
        xs.dispose();
        ys.dispose();
      }
    }
  } finally {
    x.dispose();
    y.dispose();
    // A model does not own an optimizer it was given: its moment estimates would outlive it.
    optimizer.dispose();
  }
}

async function predict(tf: Tf, model: LayersModel, input: Matrix): Promise<Float32Array> {
  const output = tf.tidy(() => model.predict(tf.tensor2d(input.values, [input.rows, input.width]), { batchSize: 8_192 }) as Tensor);
  try {
    return await output.data<'float32'>();
  } finally {
    output.dispose();
  }
}

const secondsSince = (start: number): number => Math.round((performance.now() - start) / 10) / 100;
const round4 = (value: number): number => Math.round(value * 10_000) / 10_000;

interface LabelledRows {
  readonly input: Matrix;
  readonly labels: Uint8Array;
}

/** Fits on the training rows, then scores the holdout: its AUC and the seconds the fit took. */
async function fitAndEvaluate(
  tf: Tf,
  model: Sequential,
  training: LabelledRows,
  holdout: LabelledRows,
  settings: FitSettings,
): Promise<{ auc: number; fitSeconds: number }> {
  const start = performance.now();
  await fitDeterministically(tf, model, training.input, training.labels, settings);
  const fitSeconds = secondsSince(start);
  return { auc: auc(await predict(tf, model, holdout.input), holdout.labels), fitSeconds };
}

/**
 * Trains the demo churn MLP on synthetic customers and evaluates it on a holdout against the
 * oracle (the true probability) and a logistic-regression baseline.
 */
export async function trainChurnModel(options: ChurnTrainingOptions): Promise<TrainedChurnModel> {
  const settings = { ...DEFAULT_CHURN_TRAINING, ...options };
  const seed = assertSeed(settings.seed);
  const start = performance.now();
  const { tf, name: backend } = await loadTensorflowBackend();

  const trainingChunk = generateChurnChunk(seed, 0, settings.trainRows);
  const holdoutChunk = generateChurnChunk(seed, settings.trainRows, settings.holdoutRows);
  const manifest = buildChurnManifest(settings.version, seed, trainingChunk.features, trainingChunk.rowCount);
  const preprocessor = new FeaturePreprocessor(manifest);
  const training = { input: inputMatrix(preprocessor, trainingChunk), labels: trainingChunk.labels };
  const holdout = { input: inputMatrix(preprocessor, holdoutChunk), labels: holdoutChunk.labels };
  const fit = { learningRate: settings.learningRate, seed: deriveSeed(seed, 0x5eed) };

  const baselineModel = createLogisticRegression(tf, training.input.width);
  const baseline = await fitAndEvaluate(tf, baselineModel, training, holdout, { ...fit, batchSchedule: settings.baselineBatchSchedule }).finally(
    () => baselineModel.dispose(),
  );
  const model = createMlp(tf, training.input.width, settings.hiddenUnits, seed);
  const mlp = await fitAndEvaluate(tf, model, training, holdout, { ...fit, batchSchedule: settings.batchSchedule }).catch((error: unknown) => {
    model.dispose();
    throw error;
  });
  const oracleAuc = auc(holdoutChunk.truth, holdoutChunk.labels);

  const gapToOracle = oracleAuc - mlp.auc;
  const liftOverBaseline = mlp.auc - baseline.auc;
  const report: ChurnTrainingReport = {
    model: manifest.name,
    version: manifest.version,
    seed,
    backend,
    trainRows: settings.trainRows,
    holdoutRows: settings.holdoutRows,
    batchSchedule: [...settings.batchSchedule],
    hiddenUnits: [...settings.hiddenUnits],
    holdoutChurnRate: round4(holdoutChunk.labels.reduce((sum, label) => sum + label, 0) / holdoutChunk.rowCount),
    modelAuc: round4(mlp.auc),
    oracleAuc: round4(oracleAuc),
    baselineAuc: round4(baseline.auc),
    gapToOracle: round4(gapToOracle),
    liftOverBaseline: round4(liftOverBaseline),
    meetsTargets: gapToOracle <= CHURN_MODEL_TARGETS.maxGapToOracle && liftOverBaseline >= CHURN_MODEL_TARGETS.minLiftOverBaseline,
    trainSeconds: mlp.fitSeconds,
    baselineSeconds: baseline.fitSeconds,
    totalSeconds: secondsSince(start),
  };
  return { manifest, model, report };
}
