import { join, resolve } from 'node:path';
import type { GraphModel, LayersModel, Tensor } from '@tensorflow/tfjs';
import {
  type FeatureColumns,
  FeaturePreprocessor,
  inputWidth,
  type LoadedModel,
  type ModelManifest,
  type ModelRuntime,
  type RowRejection,
  type ScoreResult,
} from '@platform/model-package';
import { readModelManifestFile } from '@platform/model-store';
import { readModelArtifacts } from './model-files';
import { ModelMismatchError } from './model-mismatch-error';
import { ScoringThread } from './worker-loaded-model';
import { loadTensorflowBackend, type TensorflowBackend, type Tf, type WarningLogger } from './tensorflow-backend';

export interface TfjsModelRuntimeOptions {
  /** Rows per predict call: large tensors amortize per-call overhead; memory grows with it. */
  readonly maxBatchRows?: number;
  readonly logger?: WarningLogger;
  /**
   * Where loaded models score. 'worker': each loaded model on a worker thread of its own, so
   * preprocessing and predict (synchronous in tfjs-node) leave the main thread free for reading,
   * writing and verifying while a chunk scores; features are copied to it, outputs come back
   * transferred. 'main' (the default) suits small batches, where a thread hop costs more than it frees.
   */
  readonly scoringThread?: 'main' | 'worker';
}

const DEFAULT_MAX_BATCH_ROWS = 65_536;

type Shape = readonly (number | null)[];

function describeShape(shape: Shape | undefined): string {
  return shape === undefined ? 'unknown' : `[${shape.map((d) => (d === null || d < 0 ? '?' : d)).join(', ')}]`;
}

/** A 2-D shape [batch, width] whose width equals `width`. */
function isRowShape(shape: Shape | undefined, width: number): boolean {
  return shape !== undefined && shape.length === 2 && shape[1] === width;
}

function ioShapes(model: LayersModel | GraphModel): { inputs: Shape[]; outputs: Shape[] } {
  if ('layers' in model) {
    return { inputs: model.inputs.map((t) => t.shape), outputs: model.outputs.map((t) => t.shape) };
  }
  return {
    inputs: model.inputs.map((t) => t.shape ?? []),
    outputs: model.outputs.map((t) => t.shape ?? []),
  };
}

function checkAgainstManifest(model: LayersModel | GraphModel, manifest: ModelManifest, source: string): void {
  const { inputs, outputs } = ioShapes(model);
  const width = inputWidth(manifest);
  const label = `model ${manifest.name}@${manifest.version} (${source})`;
  if (inputs.length !== 1 || !isRowShape(inputs[0], width)) {
    throw new ModelMismatchError(
      `${label} takes input ${inputs.map(describeShape).join(', ')}, but its manifest's ${manifest.features.length} ` +
        `features make rows of width ${width}`,
    );
  }
  if (outputs.length !== 1 || !isRowShape(outputs[0], manifest.outputs.length)) {
    throw new ModelMismatchError(
      `${label} produces ${outputs.map(describeShape).join(', ')}, but its manifest declares ` +
        `${manifest.outputs.length} output(s): ${manifest.outputs.map((o) => o.name).join(', ')}`,
    );
  }
}

class TfjsLoadedModel implements LoadedModel {
  private readonly preprocessor: FeaturePreprocessor;
  /**
   * The input matrix of every predict call, reused: TensorFlow copies it when predict runs, which
   * is synchronous, so the next call may overwrite it even while an earlier one awaits its output.
   */
  private inputBuffer = new Float32Array(0);

  constructor(
    readonly manifest: ModelManifest,
    readonly packageDir: string,
    private readonly model: LayersModel | GraphModel,
    private readonly tf: Tf,
    private readonly maxBatchRows: number,
  ) {
    this.preprocessor = new FeaturePreprocessor(manifest);
  }

  /** Scores in slices of at most maxBatchRows, so memory is bounded whatever the input size. */
  async score(columns: FeatureColumns, rowCount: number): Promise<ScoreResult> {
    const outputCount = this.manifest.outputs.length;
    const outputs = new Float32Array(rowCount * outputCount);
    const rejections: RowRejection[] = [];
    for (let start = 0; start < rowCount; start += this.maxBatchRows) {
      const rows = Math.min(this.maxBatchRows, rowCount - start);
      const slice: Record<string, FeatureColumns[string]> = {};
      for (const [name, values] of Object.entries(columns)) slice[name] = values.subarray(start, start + rows);
      if (this.inputBuffer.length < rows * this.preprocessor.width) this.inputBuffer = new Float32Array(rows * this.preprocessor.width);
      const input = this.preprocessor.preprocess(slice, rows, this.inputBuffer);
      const prediction = this.tf.tidy(() => {
        const x = this.tf.tensor2d(input.matrix, [rows, input.width], 'float32');
        // A LayersModel splits predict() into batches of 32 unless told otherwise: ~50x slower.
        return ('layers' in this.model ? this.model.predict(x, { batchSize: rows }) : this.model.predict(x)) as Tensor;
      });
      try {
        outputs.set(await prediction.data<'float32'>(), start * outputCount);
      } finally {
        prediction.dispose();
      }
      for (const rejection of input.rejections) {
        const row = start + rejection.row;
        rejections.push({ ...rejection, row });
        outputs.fill(NaN, row * outputCount, (row + 1) * outputCount);
      }
    }
    return { outputs, rowCount, rejections };
  }

  dispose(): void {
    this.model.dispose();
  }
}

/** The model runtime on TensorFlow.js: native TensorFlow when available (see tensorflow-backend.ts). */
export class TfjsModelRuntime implements ModelRuntime {
  private constructor(
    private readonly tensorflow: TensorflowBackend,
    private readonly maxBatchRows: number,
    private readonly scoringThread: 'main' | 'worker',
    /** The thread the next loaded model takes, warmed up ahead (scoringThread 'worker'). */
    private spareThread: ScoringThread | null,
  ) {}

  /** Resolves once the runtime scores at full speed: with scoringThread 'worker', its spare thread is up. */
  static async create(options: TfjsModelRuntimeOptions = {}): Promise<TfjsModelRuntime> {
    const scoringThread = options.scoringThread ?? 'main';
    const tensorflow = await loadTensorflowBackend(options.logger);
    const spare = scoringThread === 'worker' ? ScoringThread.start() : null;
    await spare?.whenReady();
    return new TfjsModelRuntime(tensorflow, options.maxBatchRows ?? DEFAULT_MAX_BATCH_ROWS, scoringThread, spare);
  }

  get backend(): string {
    return this.tensorflow.name;
  }

  get native(): boolean {
    return this.tensorflow.native;
  }

  /** Tensors alive in this process: a flat count over many scores shows nothing leaks. */
  tensorCount(): number {
    return this.tensorflow.tf.memory().numTensors;
  }

  async load(packageDir: string): Promise<LoadedModel> {
    const dir = resolve(packageDir);
    if (this.scoringThread === 'main') return this.loadHere(dir);
    const thread = this.spareThread ?? ScoringThread.start();
    this.spareThread = null;
    // The next spare warms up once this model is done, not while it scores.
    return thread.load(dir, this.maxBatchRows, () => (this.spareThread ??= ScoringThread.start()));
  }

  /** Loads the package on this thread (the scoring worker's own runtime does too). */
  async loadHere(dir: string): Promise<LoadedModel> {
    const manifest = await readModelManifestFile(dir);
    const modelPath = join(dir, manifest.modelFile);
    const artifacts = await readModelArtifacts(modelPath);
    const handler = { load: () => Promise.resolve(artifacts) };
    const { tf } = this.tensorflow;
    let model: LayersModel | GraphModel;
    try {
      model = manifest.format === 'layers-model' ? await tf.loadLayersModel(handler) : await tf.loadGraphModel(handler);
    } catch (error) {
      throw new ModelMismatchError(
        `${modelPath} does not load as a ${manifest.format} (as the manifest says): ${(error as Error).message}`,
        { cause: error },
      );
    }
    try {
      checkAgainstManifest(model, manifest, modelPath);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return new TfjsLoadedModel(manifest, dir, model, tf, this.maxBatchRows);
  }
}
