import { PlatformError } from '@platform/domain';

/** The model files disagree with their manifest: caught at load, never as a wrong score later. */
export class ModelMismatchError extends PlatformError {
  readonly code = 'MODEL_MISMATCH';
  readonly retriable = false;
}
