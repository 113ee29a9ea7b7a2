import { PlatformError } from '@platform/domain';
import { type SegmentAttributes } from './cold-start-fallback';
import { type ModelServingState } from './model-serving-state';
import { type ServedPrediction } from './served-prediction';

/** A model the query layer does not serve: no run of it has been published (or loaded yet). */
export class UnknownModelError extends PlatformError {
  readonly code = 'UNKNOWN_MODEL';
  readonly retriable = false;
}

/**
 * The serving state of every model. A model's state is replaced whole (`install`), in one
 * synchronous assignment: a request sees either the old run or the new one, never a mix.
 */
export class ServingState {
  private readonly byModel = new Map<string, ModelServingState>();

  install(state: ModelServingState): void {
    this.byModel.set(state.model, state);
  }

  get(model: string): ModelServingState | undefined {
    return this.byModel.get(model);
  }

  require(model: string): ModelServingState {
    const state = this.byModel.get(model);
    if (state === undefined) throw new UnknownModelError(`model ${JSON.stringify(model)} has no published run to serve`);
    return state;
  }

  models(): ModelServingState[] {
    return [...this.byModel.values()];
  }

  /** Bytes held by every model's state except `model`'s: what a new state of `model` may add to. */
  estimatedBytesExcept(model: string): number {
    let bytes = 0;
    for (const state of this.byModel.values()) if (state.model !== model) bytes += state.estimatedBytes;
    return bytes;
  }

  answer(model: string, entityId: string, segment?: SegmentAttributes): ServedPrediction | Promise<ServedPrediction> {
    return this.require(model).answer(entityId, segment);
  }
}
