import { type EpochMs, mergePrediction, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import { type BatchRunTable, compareRanked } from './batch-run-table';
import { type ColdStartFallback, type SegmentAttributes } from './cold-start-fallback';
import { type PredictionSource, type ServedPrediction } from './served-prediction';
import { SpeedOverlay } from './speed-overlay';

const SPEED_WINNER_BYTES = 400;

/** Where a ranked page ends: the next page starts after this score and entity id. */
export interface RankCursor {
  readonly score: number;
  readonly entityId: string;
}

export interface RankedPage {
  readonly predictions: ServedPrediction[];
  /** Null on the last page. */
  readonly next: RankCursor | null;
}

export interface ScoreBin {
  /** Inclusive lower edge; the last bin includes its upper edge. */
  readonly from: number;
  readonly to: number;
  readonly count: number;
}

/** One model's serving state at a glance: what is served, from where, and how fresh. */
export interface ModelSummary {
  readonly model: string;
  readonly runId: string;
  readonly modelVersion: string;
  readonly dataCutoff: EpochMs;
  readonly pointerAction: string;
  readonly pointerAt: EpochMs;
  /** Entities answered by each source (fallback answers are not counted: they are not stored). */
  readonly countsBySource: { readonly batch: number; readonly speed: number };
  /** Merged scores (first output) in ten equal bins between the lowest and highest; NaN not binned. */
  readonly scoreDistribution: readonly ScoreBin[];
  readonly freshness: { readonly batchLoadedAt: EpochMs; readonly speedAsOf: EpochMs };
  readonly estimatedBytes: number;
}

const SCORE_BINS = 10;

interface Ranked {
  readonly score: number;
  readonly entityId: string;
}

function scoreOf(outputs: readonly number[]): number {
  const score = outputs[0];
  return score === undefined || Number.isNaN(score) ? -Infinity : score;
}

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

  /**
   * Known entities ranked by their merged score (first output), highest first, ties by entity id,
   * optionally only those answered by one source. Keyset pages: a cursor is a position in that
   * order, so paging stays stable while answers change (an entity whose score moved is seen at its
   * new place or not at all, never twice on one walk through unchanged entities).
   */
  rankedPage(limit: number, after?: RankCursor, source?: Exclude<PredictionSource, 'fallback'>): RankedPage {
    const isAfter = (score: number, entityId: string): boolean =>
      after === undefined || compareRanked(score, entityId, after.score, after.entityId) > 0;
    const speedRanked: Ranked[] = [];
    if (source !== 'batch') {
      for (const entityId of this.speed.entityIds()) {
        const score = scoreOf(this.speed.winner(entityId)!.outputs);
        if (isAfter(score, entityId)) speedRanked.push({ score, entityId });
      }
      speedRanked.sort((a, b) => compareRanked(a.score, a.entityId, b.score, b.entityId));
    }
    const { entityIds, order } = this.batch.ranking();
    let position = source === 'speed' ? order.length : this.firstBatchPositionAfter(after);
    let speedIndex = 0;
    const page: Ranked[] = [];
    while (page.length < limit) {
      while (position < order.length && this.speed.winner(entityIds[order[position]!]!) !== undefined) position++;
      const batchRow = position < order.length ? order[position]! : undefined;
      const batchNext = batchRow === undefined ? undefined : { score: this.batch.scoreAt(batchRow), entityId: entityIds[batchRow]! };
      const speedNext = speedRanked[speedIndex];
      if (batchNext === undefined && speedNext === undefined) break;
      if (speedNext === undefined || (batchNext !== undefined && compareRanked(batchNext.score, batchNext.entityId, speedNext.score, speedNext.entityId) < 0)) {
        page.push(batchNext!);
        position++;
      } else {
        page.push(speedNext);
        speedIndex++;
      }
    }
    const last = page[page.length - 1];
    return {
      predictions: page.map(({ entityId }) => this.answer(entityId)),
      next: page.length === limit && last !== undefined ? last : null,
    };
  }

  summary(): ModelSummary {
    const scores: number[] = [];
    let batchAnswered = 0;
    const { entityIds } = this.batch.ranking();
    for (let row = 0; row < entityIds.length; row++) {
      if (this.speed.winner(entityIds[row]!) !== undefined) continue;
      batchAnswered++;
      scores.push(this.batch.scoreAt(row));
    }
    for (const entityId of this.speed.entityIds()) scores.push(scoreOf(this.speed.winner(entityId)!.outputs));
    return {
      model: this.model,
      runId: this.pointer.runId,
      modelVersion: this.pointer.modelVersion,
      dataCutoff: this.pointer.dataCutoff,
      pointerAction: this.pointer.action,
      pointerAt: this.pointer.at,
      countsBySource: { batch: batchAnswered, speed: this.speed.size },
      scoreDistribution: binScores(scores.filter(Number.isFinite)),
      freshness: { batchLoadedAt: this.loadedAt, speedAsOf: this.speedAsOfMs },
      estimatedBytes: this.estimatedBytes,
    };
  }

  private firstBatchPositionAfter(after: RankCursor | undefined): number {
    if (after === undefined) return 0;
    const { entityIds, order } = this.batch.ranking();
    let low = 0;
    let high = order.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const row = order[middle]!;
      if (compareRanked(this.batch.scoreAt(row), entityIds[row]!, after.score, after.entityId) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
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

function binScores(scores: readonly number[]): ScoreBin[] {
  if (scores.length === 0) return [];
  let low = Infinity;
  let high = -Infinity;
  for (const score of scores) {
    if (score < low) low = score;
    if (score > high) high = score;
  }
  const width = (high - low) / SCORE_BINS;
  const counts = new Array<number>(SCORE_BINS).fill(0);
  for (const score of scores) {
    const bin = width === 0 ? 0 : Math.min(SCORE_BINS - 1, Math.floor((score - low) / width));
    counts[bin]!++;
  }
  return counts.map((count, bin) => ({ from: low + bin * width, to: bin === SCORE_BINS - 1 ? high : low + (bin + 1) * width, count }));
}
