import { FeatureColumnsError, type FeatureColumns, type ModelManifest, type RowRejection } from '@platform/model-package';
import { ModelMismatchError } from './model-mismatch-error';

/** The first request a scoring worker takes: the one package it scores for the rest of its life. */
export interface LoadRequest {
  readonly kind: 'load';
  readonly packageDir: string;
  readonly maxBatchRows: number;
}

export interface ScoreRequest {
  readonly kind: 'score';
  readonly id: number;
  /** Compact copies, their buffers transferred: the worker owns them. */
  readonly columns: FeatureColumns;
  readonly rowCount: number;
}

export type WorkerRequest = LoadRequest | ScoreRequest;

/** An error as it crosses the thread boundary: the platform errors a caller tells apart keep their class. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

export type WorkerReply =
  | { readonly kind: 'ready' }
  | { readonly kind: 'loaded'; readonly manifest: ModelManifest }
  | { readonly kind: 'load-failed'; readonly error: SerializedError }
  | {
      readonly kind: 'scored';
      readonly id: number;
      readonly outputs: Float32Array;
      readonly rejections: readonly RowRejection[];
      /** The request's column buffers, handed back (transferred) for the next request's copies. */
      readonly spentColumns: readonly ArrayBuffer[];
    }
  | { readonly kind: 'score-failed'; readonly id: number; readonly error: SerializedError };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
}

export function deserializeError(error: SerializedError): Error {
  if (error.code === 'MODEL_MISMATCH') return new ModelMismatchError(error.message);
  if (error.code === 'INVALID_FEATURE_COLUMNS') return new FeatureColumnsError(error.message);
  const rebuilt = new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}
