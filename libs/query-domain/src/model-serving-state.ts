import { type BatchPrediction, type EpochMs, mergePrediction, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import { type BatchRunTable, compareRanked } from './batch-run-table';
import { type ColdStartFallback, type SegmentAttributes } from './cold-start-fallback';
import { type SegmentFilter } from './segment-filter';
import { type PredictionSource, type ServedPrediction } from './served-prediction';
import { SpeedOverlay } from './speed-overlay';

/** Estimated heap cost of one speed winner or cached row (an object with an array), kept high. */
export const SPEED_WINNER_BYTES = 400;

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

export const SCORE_BINS = 10;

/** A position in the ranked order. */
export interface Ranked {
  readonly score: number;
  readonly entityId: string;
}

/** Segment attributes by entity id, as a bulk lookup carries them. */
export type SegmentsById = Readonly<Record<string, SegmentAttributes>>;

/** The score pages are ranked by: the first output; none or NaN ranks last. */
export function scoreOf(outputs: readonly number[]): number {
  const score = outputs[0];
  return score === undefined || Number.isNaN(score) ? -Infinity : score;
}

/**
 * Everything one model serves under one current run: the run's batch predictions, the speed
 * predictions that can win under it, and the cold-start fallback. A new run gets a new state,
 * built aside and swapped in whole, so an answer never mixes runs. Only the speed overlay (and a
 * store-backed state's cache) changes after the swap (the tail offers rows to it).
 *
 * Two kinds: `InMemoryModelState` holds the whole run and answers synchronously;
 * `StoreBackedModelState` (a run over the memory budget) reads batch rows from the store through
 * an LRU cache and answers with a promise when it must read. Both answer through `merge`, so the
 * merge rule is applied the same way whatever holds the rows.
 */
export abstract class ModelServingState {
  readonly speed: SpeedOverlay;
  private speedAsOfMs: EpochMs;

  constructor(
    readonly pointer: ServingPointer,
    readonly fallback: ColdStartFallback,
    readonly loadedAt: EpochMs,
  ) {
    this.speed = new SpeedOverlay(pointer);
    this.speedAsOfMs = loadedAt;
  }

  /** True when the run's batch rows are read from the store on demand (the run is over the memory budget). */
  abstract readonly storeBacked: boolean;
  /** Rows of the current run, held in memory or in the store. */
  abstract readonly batchRowCount: number;
  abstract readonly estimatedBytes: number;
  abstract answer(entityId: string, segment?: SegmentAttributes): ServedPrediction | Promise<ServedPrediction>;
  /** Answers in the order asked. */
  abstract answerMany(entityIds: readonly string[], segments?: SegmentsById): ServedPrediction[] | Promise<ServedPrediction[]>;
  /**
   * Known entities ranked by their merged score (first output), highest first, ties by entity id,
   * optionally only those answered by one source and those whose run row is in a segment. Keyset
   * pages: a cursor is a position in that order, so paging stays stable while answers change (an
   * entity whose score moved is seen at its new place or not at all, never twice on one walk
   * through unchanged entities).
   */
  abstract rankedPage(limit: number, after?: RankCursor, source?: RankedSource, segment?: SegmentFilter): RankedPage | Promise<RankedPage>;
  abstract summary(): ModelSummary | Promise<ModelSummary>;

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

  /**
   * The answer of an entity a speed row answers, known without its batch row (an eligible speed
   * row always wins); undefined for an entity without one.
   */
  speedAnswer(entityId: string): ServedPrediction | undefined {
    return this.speed.winner(entityId) === undefined ? undefined : this.merge(entityId, undefined);
  }

  /** The merged answer given the run's row of the entity (undefined: the run has none). */
  protected merge(entityId: string, batchRow: BatchPrediction | undefined, segment?: SegmentAttributes): ServedPrediction {
    const speedWinner = this.speed.winner(entityId);
    const merged = mergePrediction(this.pointer, batchRow, speedWinner === undefined ? [] : [speedWinner]);
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

  /**
   * The speed winners ranked after the cursor (none when only batch answers are asked for), those
   * `included` says yes to.
   */
  protected speedRankedAfter(after: RankCursor | undefined, source: RankedSource | undefined, included: (entityId: string) => boolean = () => true): Ranked[] {
    const ranked: Ranked[] = [];
    if (source === 'batch') return ranked;
    for (const entityId of this.speed.entityIds()) {
      if (!included(entityId)) continue;
      const score = scoreOf(this.speed.winner(entityId)!.outputs);
      if (isAfter(score, entityId, after)) ranked.push({ score, entityId });
    }
    return ranked.sort((a, b) => compareRanked(a.score, a.entityId, b.score, b.entityId));
  }

  protected summaryWith(countsBySource: ModelSummary['countsBySource'], scoreDistribution: readonly ScoreBin[]): ModelSummary {
    return {
      model: this.model,
      runId: this.pointer.runId,
      modelVersion: this.pointer.modelVersion,
      dataCutoff: this.pointer.dataCutoff,
      pointerAction: this.pointer.action,
      pointerAt: this.pointer.at,
      countsBySource,
      scoreDistribution,
      freshness: { batchLoadedAt: this.loadedAt, speedAsOf: this.speedAsOfMs },
      estimatedBytes: this.estimatedBytes,
    };
  }
}

export type RankedSource = Exclude<PredictionSource, 'fallback'>;

/** True when (score, entityId) ranks after the cursor (always, without one). */
export function isAfter(score: number, entityId: string, after: RankCursor | undefined): boolean {
  return after === undefined || compareRanked(score, entityId, after.score, after.entityId) > 0;
}

/** A model whose whole current run is held in memory (a BatchRunTable): every answer is synchronous. */
export class InMemoryModelState extends ModelServingState {
  readonly storeBacked = false;

  constructor(
    pointer: ServingPointer,
    readonly batch: BatchRunTable,
    fallback: ColdStartFallback,
    loadedAt: EpochMs,
  ) {
    super(pointer, fallback, loadedAt);
  }

  get batchRowCount(): number {
    return this.batch.rowCount;
  }

  /** The run's compact table plus an estimate for the speed winners (objects, a few hundred bytes each). */
  get estimatedBytes(): number {
    return this.batch.estimatedBytes + this.speed.size * SPEED_WINNER_BYTES;
  }

  answer(entityId: string, segment?: SegmentAttributes): ServedPrediction {
    return this.merge(entityId, this.batch.get(entityId), segment);
  }

  answerMany(entityIds: readonly string[], segments?: SegmentsById): ServedPrediction[] {
    return entityIds.map((id) => this.merge(id, this.batch.get(id), segments?.[id]));
  }

  rankedPage(limit: number, after?: RankCursor, source?: RankedSource, segment?: SegmentFilter): RankedPage {
    const speedRanked = this.speedRankedAfter(after, source, segment === undefined ? undefined : (id) => segment.matches(this.batch.segmentValuesOf(id)));
    const { entityIds, order } = segment === undefined ? this.batch.ranking() : this.batch.rankingWhere(segment);
    let position = source === 'speed' ? order.length : firstPositionAfter(this.batch, order, after);
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
    return this.summaryWith({ batch: batchAnswered, speed: this.speed.size }, binScores(scores.filter(Number.isFinite)));
  }
}

/** The first position of `order` (rows of the table, ranked) that ranks after the cursor. */
function firstPositionAfter(batch: BatchRunTable, order: Int32Array, after: RankCursor | undefined): number {
  if (after === undefined) return 0;
  const { entityIds } = batch.ranking();
  let low = 0;
  let high = order.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const row = order[middle]!;
    if (compareRanked(batch.scoreAt(row), entityIds[row]!, after.score, after.entityId) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function binScores(scores: readonly number[]): ScoreBin[] {
  if (scores.length === 0) return [];
  let low = Infinity;
  let high = -Infinity;
  for (const score of scores) {
    if (score < low) low = score;
    if (score > high) high = score;
  }
  const binning = new ScoreBinning(low, high);
  const counts = new Array<number>(SCORE_BINS).fill(0);
  for (const score of scores) counts[binning.binOf(binning.keyOf(score))]!++;
  return binning.bins(counts);
}

/**
 * Ten equal bins between the lowest and the highest merged score. `keyOf` is the unclamped bin
 * key, floor((score - low) / width): a store can count rows by that key with the same float
 * operations (Float64 in JavaScript and in ClickHouse), so its counts land in the same bins.
 */
export class ScoreBinning {
  readonly width: number;

  constructor(
    readonly low: number,
    readonly high: number,
  ) {
    this.width = (high - low) / SCORE_BINS;
  }

  keyOf(score: number): number {
    return this.width === 0 ? 0 : Math.floor((score - this.low) / this.width);
  }

  /** The bin of a key; the highest score's key (one past the last bin) belongs to the last bin. */
  binOf(key: number): number {
    return Math.min(SCORE_BINS - 1, key);
  }

  bins(counts: readonly number[]): ScoreBin[] {
    const { low, high, width } = this;
    return counts.map((count, bin) => ({ from: low + bin * width, to: bin === SCORE_BINS - 1 ? high : low + (bin + 1) * width, count }));
  }
}
