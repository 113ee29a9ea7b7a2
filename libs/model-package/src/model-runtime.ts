import { type FeatureColumns, type RowRejection } from './feature-preprocessor';
import { type ModelManifest } from './model-manifest';

export interface ScoreResult {
  /** rowCount × outputs, row-major. Rows listed in `rejections` hold NaN. */
  readonly outputs: Float32Array;
  readonly rowCount: number;
  readonly rejections: readonly RowRejection[];
}

/** A model loaded and checked against its manifest, ready to score. */
export interface LoadedModel {
  readonly manifest: ModelManifest;
  /** Directory the package was loaded from. */
  readonly packageDir: string;
  score(columns: FeatureColumns, rowCount: number): Promise<ScoreResult>;
  dispose(): void;
}

/** The model runtime port: TensorFlow.js is one adapter. */
export interface ModelRuntime {
  /** Which backend scores: 'tensorflow' (native) or a fallback. */
  readonly backend: string;
  load(packageDir: string): Promise<LoadedModel>;
}
