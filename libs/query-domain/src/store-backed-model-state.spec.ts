import { type BatchPrediction, PlatformError, type ServingPointer } from '@platform/domain';
import fc from 'fast-check';
import { BatchRunTableBuilder, compareRanked } from './batch-run-table';
import { ColdStartFallback } from './cold-start-fallback';
import { InMemoryModelState, isAfter, type ModelServingState, type RankCursor, type RankedSource, scoreOf } from './model-serving-state';
import { SegmentFilter } from './segment-filter';
import { type RunRowStore, StoreBackedModelState, type StoredRunRow, type StoredScore } from './store-backed-model-state';
import { type ServedPrediction } from './served-prediction';

const POINTER: ServingPointer = { model: 'm', runId: 'r', modelVersion: '1', dataCutoff: 0, action: 'publish', at: 1, actor: 't' };

class StoreDownError extends PlatformError {
  readonly code = 'STORE_DOWN';
  readonly retriable = true;
}

/** What the ClickHouse adapter answers, over rows in an array; `reads` counts id lookups. */
class ArrayRunRowStore implements RunRowStore {
  readonly readIds: string[] = [];
  down = false;

  constructor(private readonly rows: readonly StoredRunRow[]) {}

  async readRows(_run: ServingPointer, entityIds: readonly string[]): Promise<StoredRunRow[]> {
    if (this.down) throw new StoreDownError('the store is down');
    this.readIds.push(...entityIds);
    return this.rows.filter((row) => entityIds.includes(row.entityId));
  }

  async readRanked(_run: ServingPointer, limit: number, after: RankCursor | undefined, segment: SegmentFilter | undefined): Promise<BatchPrediction[]> {
    return this.rows
      .filter((row) => isAfter(scoreOf(row.outputs), row.entityId, after) && (segment === undefined || segment.matches(row.segmentValues)))
      .sort((a, b) => compareRanked(scoreOf(a.outputs), a.entityId, scoreOf(b.outputs), b.entityId))
      .slice(0, limit);
  }

  async readScoreExtremes(_run: ServingPointer, count: number): Promise<{ lowest: StoredScore[]; highest: StoredScore[] }> {
    const finite = this.rows.map((row) => ({ entityId: row.entityId, score: scoreOf(row.outputs) })).filter((s) => Number.isFinite(s.score));
    const byId = (a: StoredScore, b: StoredScore): number => (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0);
    return {
      lowest: [...finite].sort((a, b) => a.score - b.score || byId(a, b)).slice(0, count),
      highest: [...finite].sort((a, b) => b.score - a.score || byId(a, b)).slice(0, count),
    };
  }

  async countScoresByBinKey(_run: ServingPointer, binning: { keyOf(score: number): number }): Promise<Map<number, number>> {
    const counts = new Map<number, number>();
    for (const row of this.rows) {
      const score = scoreOf(row.outputs);
      if (!Number.isFinite(score)) continue;
      const key = binning.keyOf(score);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return counts;
  }
}

function bothStates(rows: readonly StoredRunRow[], cacheEntries = 3): { inMemory: InMemoryModelState; storeBacked: StoreBackedModelState; store: ArrayRunRowStore } {
  const builder = new BatchRunTableBuilder('m', 'r', { limitBytes: 1e9, usedElsewhereBytes: 0 });
  for (const row of rows) builder.append(row.entityId, row.outputs, row.scoredAt, row.segmentValues);
  const table = builder.build();
  const fallback = new ColdStartFallback([{ segmentColumns: SEGMENT_COLUMNS, segmentValues: ['north'], rowCount: 1, outputMeans: [0.5] }], table.meanOutputs());
  const store = new ArrayRunRowStore(rows);
  return {
    inMemory: new InMemoryModelState(POINTER, table, fallback, 0),
    storeBacked: new StoreBackedModelState(POINTER, rows.length, store, fallback, 0, { cacheEntries, summaryCacheMs: 0, now: () => 0 }),
    store,
  };
}

const SEGMENT_COLUMNS = ['region'];

function stored(row: BatchPrediction, region?: string): StoredRunRow {
  return { ...row, segmentValues: region === undefined ? [] : [region] };
}

async function walk(state: ModelServingState, limit: number, source: RankedSource | undefined, segment?: SegmentFilter): Promise<ServedPrediction[][]> {
  const pages: ServedPrediction[][] = [];
  let after: RankCursor | undefined;
  do {
    const page = await state.rankedPage(limit, after, source, segment);
    pages.push(page.predictions);
    after = page.next ?? undefined;
  } while (after !== undefined);
  return pages;
}

describe('StoreBackedModelState', () => {
  it('answers, ranks and summarises exactly as the in-memory state, for any rows, speed winners, page size and cache size', async () => {
    const entity = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'é');
    const score = fc.constantFrom(0, 0.25, 0.5, 0.75, 1, NaN);
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.tuple(entity, score, fc.boolean(), fc.constantFrom('north', 'south', '')), { selector: ([id]) => id, maxLength: 8 }),
        fc.array(fc.tuple(entity, score), { maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom(undefined, 'batch' as const, 'speed' as const),
        fc.constantFrom(undefined, 'north', 'south', ''),
        async (batch, speed, limit, cacheEntries, source, region) => {
          const rows = batch.map(([entityId, s, empty, rowRegion]) => stored({ model: 'm', runId: 'r', entityId, outputs: empty ? [] : [s], scoredAt: 1 }, rowRegion));
          const { inMemory, storeBacked } = bothStates(rows, cacheEntries);
          speed.forEach(([entityId, s], index) => {
            const row = { model: 'm', modelVersion: '1', entityId, eventId: `e${index}`, eventTime: 10 + index, outputs: [s], scoredAt: 20, source: { topic: 't', partition: 0, offset: '0' } };
            inMemory.offerSpeed(row);
            storeBacked.offerSpeed(row);
          });
          const asked = ['a', 'z', 'é', 'a', 'b', 'g', 'z'];
          for (const id of asked) expect(await storeBacked.answer(id)).toEqual(inMemory.answer(id));
          expect(await storeBacked.answerMany(asked)).toEqual(inMemory.answerMany(asked));
          expect(await walk(storeBacked, limit, source)).toEqual(await walk(inMemory, limit, source));
          const segment = SegmentFilter.of(SEGMENT_COLUMNS, region === undefined ? undefined : { region });
          const filtered = await walk(inMemory, limit, source, segment);
          expect(await walk(storeBacked, limit, source, segment)).toEqual(filtered);
          // The filtered walk is the unfiltered one without the entities whose run row is elsewhere (or absent).
          const regionOf = new Map(rows.map((row) => [row.entityId, row.segmentValues[0]]));
          const unfiltered = (await walk(inMemory, 1_000, source)).flat();
          expect(filtered.flat()).toEqual(unfiltered.filter((answer) => region === undefined || regionOf.get(answer.entityId) === region));
          expect(await storeBacked.summary()).toEqual({ ...inMemory.summary(), estimatedBytes: storeBacked.estimatedBytes });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reads each missing id once per bulk lookup, remembers absence, and answers from its cache without a promise', async () => {
    const { storeBacked, store } = bothStates([stored({ model: 'm', runId: 'r', entityId: 'a', outputs: [0.5], scoredAt: 1 })], 10);
    const answers = storeBacked.answerMany(['a', 'nobody', 'a', 'nobody']);
    expect(answers).toBeInstanceOf(Promise);
    expect((await answers).map((answer) => answer.source)).toEqual(['batch', 'fallback', 'batch', 'fallback']);
    expect(store.readIds).toEqual(['a', 'nobody']);
    const cached = storeBacked.answerMany(['nobody', 'a']);
    expect(cached).not.toBeInstanceOf(Promise);
    expect(storeBacked.answer('a')).not.toBeInstanceOf(Promise);
    expect(store.readIds).toEqual(['a', 'nobody']);
  });

  it('reads an id once while requests for it overlap, and shares a failed read as a failure with each', async () => {
    const rows = ['a', 'b'].map((entityId, k) => stored({ model: 'm', runId: 'r', entityId, outputs: [k], scoredAt: 1 }));
    const { storeBacked, store } = bothStates(rows, 10);
    const overlapping = await Promise.all([storeBacked.answer('a'), storeBacked.answer('a'), storeBacked.answerMany(['b', 'a', 'nobody']), storeBacked.answer('nobody')]);
    expect(overlapping.flat().map((answer) => `${answer.entityId} ${answer.source}`)).toEqual(['a batch', 'a batch', 'b batch', 'a batch', 'nobody fallback', 'nobody fallback']);
    expect([...store.readIds].sort()).toEqual(['a', 'b', 'nobody']);

    const { storeBacked: failing, store: down } = bothStates(rows, 10);
    down.down = true;
    const failures = await Promise.all([failing.answer('a'), failing.answer('a'), failing.answerMany(['a', 'b'])].map((answer) => Promise.resolve(answer).catch((error: unknown) => error)));
    for (const failure of failures) expect(failure).toBeInstanceOf(StoreDownError);
    expect(failing.cachedRows).toBe(0);
    down.down = false;
    expect(await failing.answer('a')).toMatchObject({ source: 'batch', outputs: [0] });
  });

  it('answers a lookup larger than its cache from the read, not from what the cache kept', async () => {
    const rows = ['a', 'b', 'c', 'd'].map((entityId, k) => stored({ model: 'm', runId: 'r', entityId, outputs: [k], scoredAt: 1 }));
    const { storeBacked } = bothStates(rows, 1);
    expect((await storeBacked.answerMany(['a', 'b', 'c', 'd'])).map((answer) => answer.outputs)).toEqual([[0], [1], [2], [3]]);
    expect(storeBacked.cachedRows).toBe(1);
  });

  it('rejects with the store error when it cannot read, caches nothing, and reads again once the store is back', async () => {
    const { storeBacked, store } = bothStates([stored({ model: 'm', runId: 'r', entityId: 'a', outputs: [0.5], scoredAt: 1 })]);
    store.down = true;
    await expect(storeBacked.answer('a')).rejects.toBeInstanceOf(StoreDownError);
    await expect(Promise.resolve(storeBacked.answerMany(['a']))).rejects.toBeInstanceOf(StoreDownError);
    expect(storeBacked.cachedRows).toBe(0);
    store.down = false;
    expect(await storeBacked.answer('a')).toMatchObject({ source: 'batch', outputs: [0.5] });
  });
});
