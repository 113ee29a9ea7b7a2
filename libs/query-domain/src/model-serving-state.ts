import { type EpochMs, mergePrediction, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import { type BatchRunTable } from './batch-run-table';
import { type ColdStartFallback, type SegmentAttributes } from './cold-start-fallback';
import { type ServedPrediction } from './served-prediction';
import { SpeedOverlay } from './speed-overlay';

const SPEED_WINNER_BYTES = 400;

/**
 * Everything one model serves under one current run: the run's batch predictions, the speed
 * predictions that can win under it, and the cold-start fallback. A new run gets a new state,
 * built aside and swapped in whole, so an answer never mixes runs. Only the speed overlay changes
 * after the swap (the tail offers rows to it).
 */
export class ModelServingState {
  readonly speed: SpeedOverlay;
  private speedAsOfMs: EpochMs;

  constructor(
    readonly pointer: ServingPointer,
    readonly batch: BatchRunTable,
    readonly fallback: ColdStartFallback,
    readonly loadedAt: EpochMs,
  ) {
    this.speed = new SpeedOverlay(pointer);
    this.speedAsOfMs = loadedAt;
  }

  get model(): string {
    return this.pointer.model;
  }

  get speedAsOf(): EpochMs {
    return this.speedAsOfMs;
  }

  /** Offers a speed row; true when it became its entity's served prediction. */
  offerSpeed(row: SpeedPrediction): boolean {
    return this.speed.offer(row);
  }

  /** Records that every speed row written up to `asOf` has been offered. */
  markSpeedAsOf(asOf: EpochMs): void {
    this.speedAsOfMs = Math.max(this.speedAsOfMs, asOf);
  }

  /** The run's compact table plus an estimate for the speed winners (objects, a few hundred bytes each). */
  get estimatedBytes(): number {
    return this.batch.estimatedBytes + this.speed.size * SPEED_WINNER_BYTES;
  }

  answer(entityId: string, segment?: SegmentAttributes): ServedPrediction {
    const speedWinner = this.speed.winner(entityId);
    const merged = mergePrediction(this.pointer, this.batch.get(entityId), speedWinner === undefined ? [] : [speedWinner]);
    const run = { runId: this.pointer.runId, modelVersion: this.pointer.modelVersion, dataCutoff: this.pointer.dataCutoff };
    const freshness = { batchLoadedAt: this.loadedAt, speedAsOf: this.speedAsOfMs };
    if (merged === undefined) {
      const fallback = this.fallback.answer(segment);
      return {
        model: this.model,
        entityId,
        source: 'fallback',
        fallback: fallback.basis,
        ...run,
        outputs: fallback.outputs,
        scoredAt: null,
        eventId: null,
        eventTime: null,
        freshness,
      };
    }
    return {
      model: this.model,
      entityId,
      source: merged.source,
      fallback: null,
      ...run,
      outputs: merged.outputs,
      scoredAt: merged.scoredAt,
      eventId: merged.source === 'speed' ? merged.eventId : null,
      eventTime: merged.source === 'speed' ? merged.eventTime : null,
      freshness,
    };
  }
}
