import { type BatchPrediction, type EpochMs, type ServingPointer } from '@platform/domain';
import { compareRanked } from './batch-run-table';
import { type ColdStartFallback, type SegmentAttributes } from './cold-start-fallback';
import { LruCache } from './lru-cache';
import {
  ModelServingState,
  type ModelSummary,
  type RankCursor,
  type Ranked,
  type RankedPage,
  type RankedSource,
  SCORE_BINS,
  ScoreBinning,
  scoreOf,
  type SegmentsById,
  SPEED_WINNER_BYTES,
} from './model-serving-state';
import { type SegmentFilter } from './segment-filter';
import { type ServedPrediction } from './served-prediction';

const MAX_EXTRA_RANKED_ROWS = 1_000;

/** A run's score (first output) and entity id, as the store ranks them. */
export interface StoredScore {
  readonly entityId: string;
  readonly score: number;
}

/** A run's row with its entity's segment values (in the run's segment columns' order). */
export interface StoredRunRow extends BatchPrediction {
  readonly segmentValues: readonly string[];
}

/**
 * The store a run over the memory budget is read from, one adapter per engine set. Scores are the
 * first output as Float64, NaN or none ranked last (-Infinity), as `scoreOf` does.
 */
export interface RunRowStore {
  /** The run's rows of these entities (ids without a row are absent; a long list is read in chunks). */
  readRows(run: ServingPointer, entityIds: readonly string[]): Promise<StoredRunRow[]>;
  /**
   * Up to `limit` rows of the run ranked by score, highest first, ties by entity id, after the
   * cursor, only those in the segment when a filter is given.
   */
  readRanked(run: ServingPointer, limit: number, after: RankCursor | undefined, segment: SegmentFilter | undefined): Promise<BatchPrediction[]>;
  /** The `count` lowest and highest finite scores of the run (ties by entity id). */
  readScoreExtremes(run: ServingPointer, count: number): Promise<{ lowest: StoredScore[]; highest: StoredScore[] }>;
  /** The run's finite scores counted by `binning.keyOf(score)` (computed by the engine in Float64). */
  countScoresByBinKey(run: ServingPointer, binning: ScoreBinning): Promise<Map<number, number>>;
}

export interface StoreBackedOptions {
  /** Entities whose batch row (or its absence) is remembered. */
  readonly cacheEntries: number;
  /** How long a summary (a few scans of the run) is reused. */
  readonly summaryCacheMs: number;
  readonly now: () => EpochMs;
  /** Told how many asked entities were found in the cache and how many had to be read. */
  readonly countCacheLookups?: (model: string, hits: number, misses: number) => void;
}

/**
 * A model whose current run did not fit the memory budget: batch rows are read from the store
 * (`RunRowStore`) and the recently asked ones kept in an LRU cache, absence included, since unknown
 * ids (cold start) are asked as often as known ones. The speed overlay and the fallback stay in
 * memory (speed winners are few). Answers that need no read (a speed winner, a cached row) are
 * synchronous; the others wait for one store read per request, all missing ids of a bulk lookup
 * together, and an id already being read joins that read instead of reading again (a popular
 * entity just evicted is asked by many requests at once). A failed read (store down) rejects every
 * request waiting on it and caches nothing.
 */
export class StoreBackedModelState extends ModelServingState {
  readonly storeBacked = true;
  private readonly rows: LruCache<string, StoredRunRow | null>;
  /** Ids whose store read is under way, each with its share of that read. */
  private readonly reading = new Map<string, Promise<StoredRunRow | null>>();
  private cachedSummary: { readonly at: EpochMs; readonly summary: Promise<ModelSummary> } | undefined;

  constructor(
    pointer: ServingPointer,
    readonly batchRowCount: number,
    private readonly store: RunRowStore,
    fallback: ColdStartFallback,
    loadedAt: EpochMs,
    private readonly options: StoreBackedOptions,
  ) {
    super(pointer, fallback, loadedAt);
    this.rows = new LruCache(options.cacheEntries);
  }

  get cachedRows(): number {
    return this.rows.size;
  }

  get estimatedBytes(): number {
    return (this.rows.size + this.speed.size) * SPEED_WINNER_BYTES;
  }

  answer(entityId: string, segment?: SegmentAttributes): ServedPrediction | Promise<ServedPrediction> {
    if (this.speed.winner(entityId) !== undefined) return this.merge(entityId, undefined, segment);
    const cached = this.rows.get(entityId);
    this.options.countCacheLookups?.(this.model, cached === undefined ? 0 : 1, cached === undefined ? 1 : 0);
    if (cached !== undefined) return this.merge(entityId, cached ?? undefined, segment);
    return this.read([entityId]).then((read) => this.merge(entityId, read.get(entityId) ?? undefined, segment));
  }

  answerMany(entityIds: readonly string[], segments?: SegmentsById): ServedPrediction[] | Promise<ServedPrediction[]> {
    const known = new Map<string, StoredRunRow | null>();
    const missing = new Set<string>();
    for (const id of entityIds) {
      if (this.speed.winner(id) !== undefined || known.has(id)) continue;
      const cached = this.rows.get(id);
      if (cached === undefined) missing.add(id);
      else known.set(id, cached);
    }
    this.options.countCacheLookups?.(this.model, known.size, missing.size);
    const answerAll = (): ServedPrediction[] => entityIds.map((id) => this.merge(id, known.get(id) ?? undefined, segments?.[id]));
    if (missing.size === 0) return answerAll();
    return this.read([...missing]).then((read) => {
      // From this read, not the cache: a lookup larger than the cache would evict its own rows.
      for (const [id, row] of read) known.set(id, row);
      return answerAll();
    });
  }

  async rankedPage(limit: number, after?: RankCursor, source?: RankedSource, segment?: SegmentFilter): Promise<RankedPage> {
    // A speed winner is in a segment when its run row is: those rows are read (and cached) by id.
    const speedRows = segment === undefined || source === 'batch' ? undefined : await this.rowsOf([...this.speed.entityIds()]);
    const speedRanked = this.speedRankedAfter(after, source, speedRows === undefined ? undefined : (id) => segment!.matches(speedRows.get(id)?.segmentValues));
    const page: { readonly ranked: Ranked; readonly row: BatchPrediction | undefined }[] = [];
    const batch: BatchPrediction[] = [];
    let batchIndex = 0;
    let batchAfter = after;
    let batchExhausted = source === 'speed';
    let speedIndex = 0;
    while (page.length < limit) {
      while (batchIndex === batch.length && !batchExhausted) {
        // Rows a speed winner overrides are skipped, as in memory; read again until one is left or
        // the run ends. Reading past the page by the speed winners (at most 1,000) saves most re-reads.
        const readLimit = limit + Math.min(this.speed.size, MAX_EXTRA_RANKED_ROWS);
        const read = await this.store.readRanked(this.pointer, readLimit, batchAfter, segment);
        batchExhausted = read.length < readLimit;
        const last = read[read.length - 1];
        if (last !== undefined) batchAfter = { score: scoreOf(last.outputs), entityId: last.entityId };
        batch.length = 0;
        batchIndex = 0;
        for (const row of read) if (this.speed.winner(row.entityId) === undefined) batch.push(row);
      }
      const batchRow = batch[batchIndex];
      const batchNext = batchRow === undefined ? undefined : { score: scoreOf(batchRow.outputs), entityId: batchRow.entityId };
      const speedNext = speedRanked[speedIndex];
      if (batchNext === undefined && speedNext === undefined) break;
      if (speedNext === undefined || (batchNext !== undefined && compareRanked(batchNext.score, batchNext.entityId, speedNext.score, speedNext.entityId) < 0)) {
        page.push({ ranked: batchNext!, row: batchRow });
        batchIndex++;
      } else {
        page.push({ ranked: speedNext, row: undefined });
        speedIndex++;
      }
    }
    const last = page[page.length - 1];
    return {
      predictions: page.map(({ ranked, row }) => this.merge(ranked.entityId, row)),
      next: page.length === limit && last !== undefined ? last.ranked : null,
    };
  }

  /** Reused for `summaryCacheMs`: each one scans the run in the store a few times. */
  summary(): Promise<ModelSummary> {
    const now = this.options.now();
    if (this.cachedSummary === undefined || now - this.cachedSummary.at >= this.options.summaryCacheMs) {
      const summary = this.computeSummary();
      this.cachedSummary = { at: now, summary };
      // A failed summary is not reused: the next request tries again.
      summary.catch(() => {
        if (this.cachedSummary?.summary === summary) this.cachedSummary = undefined;
      });
    }
    return this.cachedSummary.summary;
  }

  /**
   * The in-memory summary's numbers from the store: the run's scores minus the rows speed winners
   * override (read by id: speed winners are few), plus the speed winners' scores, binned between
   * the lowest and highest merged score. The extremes come from the `k + 1` lowest and highest
   * scores of the run, k being the overridden rows, so at least one is not overridden.
   */
  private async computeSummary(): Promise<ModelSummary> {
    const overridden = [...(await this.rowsOf([...this.speed.entityIds()])).values()].filter((row): row is StoredRunRow => row !== null);
    const overriddenIds = new Set(overridden.map((row) => row.entityId));
    const overriddenScores = overridden.map((row) => scoreOf(row.outputs)).filter(Number.isFinite);
    const speedScores = [...this.speed.entityIds()].map((id) => scoreOf(this.speed.winner(id)!.outputs)).filter(Number.isFinite);
    const extremes = await this.store.readScoreExtremes(this.pointer, overriddenScores.length + 1);
    const batchLow = extremes.lowest.find((score) => !overriddenIds.has(score.entityId))?.score;
    const batchHigh = extremes.highest.find((score) => !overriddenIds.has(score.entityId))?.score;
    const merged = { batch: this.batchRowCount - overridden.length, speed: this.speed.size };
    let low = batchLow ?? Infinity;
    let high = batchHigh ?? -Infinity;
    for (const score of speedScores) {
      if (score < low) low = score;
      if (score > high) high = score;
    }
    if (low > high) return this.summaryWith(merged, []);
    const binning = new ScoreBinning(low, high);
    const counts = new Array<number>(SCORE_BINS).fill(0);
    if (batchLow !== undefined) {
      const byKey = await this.store.countScoresByBinKey(this.pointer, binning);
      for (const score of overriddenScores) {
        const key = binning.keyOf(score);
        byKey.set(key, byKey.get(key)! - 1);
      }
      // Keys outside the bins held only overridden rows, now counted out.
      for (const [key, count] of byKey) if (count > 0) counts[binning.binOf(key)]! += count;
    }
    for (const score of speedScores) counts[binning.binOf(binning.keyOf(score))]!++;
    return this.summaryWith(merged, binning.bins(counts));
  }

  /** The rows of these ids, from the cache or read. */
  private async rowsOf(entityIds: readonly string[]): Promise<Map<string, StoredRunRow | null>> {
    const known = new Map<string, StoredRunRow | null>();
    const missing: string[] = [];
    for (const id of entityIds) {
      const cached = this.rows.get(id);
      if (cached === undefined) missing.push(id);
      else known.set(id, cached);
    }
    for (const [id, row] of await this.read(missing)) known.set(id, row);
    return known;
  }

  /**
   * The rows of these ids (none cached): ids already being read join that read, the others are read
   * together in one store call.
   */
  private async read(entityIds: readonly string[]): Promise<Map<string, StoredRunRow | null>> {
    const joined: Promise<readonly [string, StoredRunRow | null]>[] = [];
    const fresh: string[] = [];
    for (const id of entityIds) {
      const pending = this.reading.get(id);
      if (pending === undefined) fresh.push(id);
      else joined.push(pending.then((row) => [id, row] as const));
    }
    const read = fresh.length === 0 ? new Map<string, StoredRunRow | null>() : this.readFromStore(fresh);
    const [own, others] = await Promise.all([read, Promise.all(joined)]);
    for (const [id, row] of others) own.set(id, row);
    return own;
  }

  /** One store read of these ids, shared while it runs; caches each row or its absence once it succeeds. */
  private async readFromStore(entityIds: readonly string[]): Promise<Map<string, StoredRunRow | null>> {
    const request = this.store.readRows(this.pointer, entityIds).then((rows) => {
      const read = new Map<string, StoredRunRow | null>();
      // A run holds one row per entity; should it hold more, the first is kept, as in memory.
      for (const row of rows) if (!read.has(row.entityId)) read.set(row.entityId, row);
      for (const id of entityIds) {
        if (!read.has(id)) read.set(id, null);
        this.rows.set(id, read.get(id)!);
      }
      return read;
    });
    for (const id of entityIds) {
      const share = request.then((read) => read.get(id)!);
      // A share nobody joins must not surface as an unhandled rejection; joiners still see the error.
      share.catch(() => undefined);
      this.reading.set(id, share);
    }
    try {
      return await request;
    } finally {
      for (const id of entityIds) this.reading.delete(id);
    }
  }
}
