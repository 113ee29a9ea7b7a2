import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import {
  BatchPredictionRepository,
  chunkInList,
  ClickHouseEngine,
  IN_LIST_CHUNK_MAX_BYTES,
  quoteEntityId,
  ServingPointerRepository,
  SpeedPredictionRepository,
  StoreUnavailableError,
  trustedSql,
} from '@platform/clickhouse-store';
import { clickhouseUrl, ENGINE_KINDS, FlakyTcpProxy, useTestEngine } from '@platform/clickhouse-store/testing';
import { type BatchPrediction, type SpeedPrediction } from '@platform/domain';
import {
  type ModelServingState,
  type RankCursor,
  type RankedSource,
  type ServedPrediction,
  SegmentFilter,
  ServingState,
  StoreBackedModelState,
} from '@platform/query-domain';
import { ClickHouseRunRowStore } from './clickhouse-run-row-store';
import { ServingStateReader } from './serving-state-reader';
import { type QueryLog, ServingStateSync, type ServingStateSyncOptions } from './serving-state-sync';

const MODEL = 'churn';
const OPTIONS: ServingStateSyncOptions = {
  pointerPollMs: 60_000,
  speedPollMs: 60_000,
  speedOverlapMs: 5_000,
  stateMaxBytes: 256 * 1024 * 1024,
  storeBackedCacheEntries: 500,
};
const silentLog: QueryLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * Ids a store must quote with care: quotes, backslashes, control bytes (4 bytes each once
 * escaped), SQL text, non-ASCII, and 256-byte ids, so one bulk lookup needs several IN chunks.
 */
function hostileIds(): string[] {
  const ids = ["o'brien", 'back\\slash', "'); DROP TABLE batch_predictions; --", 'tab\there', 'nl\nhere', 'é', '\u{1F600}', '\u{E000}', 'x'.repeat(256)];
  for (let k = 0; k < 400; k++) ids.push(`${String.fromCharCode(1 + (k % 31))}${k}`.padEnd(256, '\u0001'));
  return ids;
}

const REGIONS = ['north', "sou'th", 'é'];

/**
 * Scores with ties (k mod 97 / 64), NaN, empty outputs and two outputs: every ranking edge; three
 * regions (one needing escapes) and rows without segment values.
 */
function runRows(ids: readonly string[]): (BatchPrediction & { segmentValues: string[] })[] {
  return ids.map((entityId, k) => ({
    model: MODEL,
    runId: 'run-1',
    entityId,
    outputs: k % 50 === 7 ? [NaN] : k % 50 === 8 ? [] : k % 3 === 0 ? [(k % 97) / 64, 0.5] : [(k % 97) / 64],
    scoredAt: 1_000 + k,
    segmentValues: k % 11 === 5 ? [] : [REGIONS[k % 3]!],
  }));
}

function speed(entityId: string, eventId: string, modelVersion: string, score: number, offset: number): SpeedPrediction {
  return {
    model: MODEL,
    modelVersion,
    entityId,
    eventId,
    eventTime: 50_000,
    outputs: [score],
    scoredAt: 60_000,
    source: { topic: 'features', partition: 0, offset: String(offset) },
  };
}

/** Answers without freshness: the two states were loaded at different times. */
function comparable(answer: ServedPrediction): Omit<ServedPrediction, 'freshness'> {
  const { freshness: _freshness, ...rest } = answer;
  return rest;
}

async function walkRanking(
  state: ModelServingState,
  limit: number,
  source?: RankedSource,
  region?: string,
): Promise<{ pages: object[]; cursors: (RankCursor | null)[] }> {
  const pages: object[] = [];
  const cursors: (RankCursor | null)[] = [];
  const segment = SegmentFilter.of(state.fallback.segmentColumns, region === undefined ? undefined : { region });
  let after: RankCursor | undefined;
  for (;;) {
    const page = await state.rankedPage(limit, after, source, segment);
    pages.push(page.predictions.map(comparable));
    cursors.push(page.next);
    if (page.next === null) return { pages, cursors };
    after = page.next;
  }
}

describe.each(ENGINE_KINDS)('a run over the memory budget, served from the store on %s', (kind) => {
  const engine = useTestEngine(kind);
  const ids = hostileIds();
  const syncs: ServingStateSync[] = [];
  const inMemory = new ServingState();
  const storeBacked = new ServingState();

  async function loaded(serving: ServingState, stateMaxBytes: number): Promise<ModelServingState> {
    const sync = new ServingStateSync(
      serving,
      new ServingPointerRepository(engine()),
      new ServingStateReader(engine(), bulkColumnarIoFor(engine())),
      { ...OPTIONS, stateMaxBytes },
      silentLog,
    );
    syncs.push(sync);
    await sync.start();
    return serving.require(MODEL);
  }

  beforeAll(async () => {
    await new BatchPredictionRepository(engine()).insert(runRows(ids));
    await engine().insertRows(
      'segment_aggregates',
      [{ model: MODEL, run_id: 'run-1', segment_columns: ['region'], segment_values: ['north'], row_count: 10, output_means: [0.125] }],
      'segment aggregates for the test',
    );
    await new SpeedPredictionRepository(engine()).insert([
      speed(ids[0]!, 'over-batch-high', '1.0.0', 2.5, 1), // overrides a batch row, ranks first
      speed(ids[3]!, 'over-batch-tie', '1.0.0', 5 / 64, 2), // ties with batch scores
      speed(ids[10]!, 'over-batch-low', '1.0.0', -1, 3), // below every finite batch score, above NaN
      speed('only-speed', 'new-entity', '1.0.0', 0.25, 4),
      speed(ids[1]!, 'other-version', '9.9.9', 3, 5), // not of the current run's version: never served
    ]);
    await new ServingPointerRepository(engine()).append({ model: MODEL, runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 10_000, action: 'publish', actor: 'test' });
    expect((await loaded(inMemory, OPTIONS.stateMaxBytes)).storeBacked).toBe(false);
    expect((await loaded(storeBacked, 1)).storeBacked).toBe(true);
  });

  afterAll(async () => {
    await Promise.all(syncs.map((sync) => sync.stop()));
  });

  it('answers single lookups as the in-memory state does, hostile ids included, then from its cache', async () => {
    const asked = [...ids, 'only-speed', 'unknown', "unknown'quote"];
    for (const id of asked) {
      const expected = comparable(await inMemory.answer(MODEL, id, { region: 'north' }));
      expect(comparable(await storeBacked.answer(MODEL, id, { region: 'north' }))).toEqual(expected);
    }
    // Every id is remembered now (found or not), so the same answers come without a read.
    const cachedAnswer = storeBacked.answer(MODEL, ids[5]!);
    expect(cachedAnswer).not.toBeInstanceOf(Promise);
    expect(storeBacked.answer(MODEL, 'unknown')).not.toBeInstanceOf(Promise);
    expect(storeBacked.require(MODEL).storeBacked).toBe(true);
  });

  it('answers a bulk lookup over several IN chunks in the order asked, each chunk under max_query_size', async () => {
    const literals = ids.map((id) => trustedSql(quoteEntityId(id)));
    const chunks = chunkInList(literals);
    expect(chunks.length).toBeGreaterThan(2);
    for (const chunk of chunks) expect(chunk.reduce((bytes, literal) => bytes + Buffer.byteLength(literal.text) + 2, 0)).toBeLessThanOrEqual(IN_LIST_CHUNK_MAX_BYTES);
    // The rest of the statement (columns, table, model and run, the bulk port's wrapper) is under 1 KiB.
    const [setting] = await engine().queryRows<{ value: string }>("SELECT value FROM system.settings WHERE name = 'max_query_size'", 'read max_query_size');
    expect(IN_LIST_CHUNK_MAX_BYTES + 1024).toBeLessThan(Number(setting!.value));

    // A fresh state (empty cache) reads every id; the full chunk runs on this engine.
    const fresh = storeBackedCopy(storeBacked.require(MODEL) as StoreBackedModelState, engine());
    const asked = [...ids].reverse().concat(['unknown', ids[0]!, 'only-speed']);
    const segments = { unknown: { region: 'north' } };
    const answers = fresh.answerMany(asked, segments);
    expect(answers).toBeInstanceOf(Promise);
    const expected = inMemory.require(MODEL).answerMany(asked, segments);
    expect((await answers).map(comparable)).toEqual((expected as ServedPrediction[]).map(comparable));
    expect((await answers).map((answer) => answer.entityId)).toEqual(asked);
  });

  it('serves speed rows over batch rows as the merge rule says', async () => {
    expect(await storeBacked.answer(MODEL, ids[0]!)).toMatchObject({ source: 'speed', eventId: 'over-batch-high', outputs: [2.5] });
    expect(await storeBacked.answer(MODEL, ids[1]!)).toMatchObject({ source: 'batch', runId: 'run-1' });
    expect(await storeBacked.answer(MODEL, 'only-speed')).toMatchObject({ source: 'speed', eventId: 'new-entity' });
  });

  it.each([
    [7, undefined, undefined],
    [100, undefined, undefined],
    [1_000, undefined, undefined],
    [13, 'batch' as const, undefined],
    [2, 'speed' as const, undefined],
    [7, undefined, 'north'],
    [13, 'batch' as const, "sou'th"],
    [1, 'speed' as const, 'north'],
    [5, undefined, 'é'],
  ])('walks ranked pages of %d (source %s, region %s) exactly as the in-memory state does', async (limit, source, region) => {
    const expected = await walkRanking(inMemory.require(MODEL), limit, source, region);
    const walked = await walkRanking(storeBacked.require(MODEL), limit, source, region);
    expect(walked.cursors).toEqual(expected.cursors);
    expect(walked.pages).toEqual(expected.pages);
    if (region !== undefined) {
      const regionOf = new Map(runRows(ids).map((row) => [row.entityId, row.segmentValues[0]]));
      const entities = expected.pages.flat().map((answer) => (answer as ServedPrediction).entityId);
      expect(entities.length).toBeGreaterThan(0);
      expect(entities.every((id) => regionOf.get(id) === region)).toBe(true);
    }
  });

  it('summarises counts and the score distribution as the in-memory state does', async () => {
    const { freshness: _a, estimatedBytes: _b, ...expected } = await inMemory.require(MODEL).summary();
    const { freshness: _c, estimatedBytes: _d, ...summary } = await storeBacked.require(MODEL).summary();
    expect(summary).toEqual(expected);
    expect(summary.countsBySource).toEqual({ batch: ids.length - 3, speed: 4 });
  });

  if (kind === 'server') {
    it('rejects a lookup it cannot read with a retriable StoreUnavailableError while the server is unreachable, and caches nothing', async () => {
      const relay = await FlakyTcpProxy.start(new URL(clickhouseUrl()));
      const viaRelay = await ClickHouseEngine.open({ kind: 'server', url: relay.url, database: engine().database, requestTimeoutMs: 5_000 });
      try {
        const state = storeBackedCopy(storeBacked.require(MODEL) as StoreBackedModelState, viaRelay);
        expect(comparable(await state.answer(ids[2]!))).toEqual(comparable(await inMemory.answer(MODEL, ids[2]!)));
        await relay.close();
        // Cached and speed answers need no read and still come; others fail as retriable.
        expect(comparable(state.answer(ids[2]!) as ServedPrediction)).toEqual(comparable(await inMemory.answer(MODEL, ids[2]!)));
        expect(state.answer(ids[0]!)).toMatchObject({ source: 'speed' });
        const error: unknown = await Promise.resolve(state.answer(ids[4]!)).catch((thrown: unknown) => thrown);
        expect(error).toBeInstanceOf(StoreUnavailableError);
        expect((error as StoreUnavailableError).retriable).toBe(true);
        expect(await Promise.resolve(state.answerMany([ids[2]!, ids[4]!])).catch((thrown: unknown) => thrown)).toBeInstanceOf(StoreUnavailableError);
        expect(state.cachedRows).toBe(1);
      } finally {
        await viaRelay.close();
      }
    });
  }
});

/** A state over the same run as `state`, with an empty cache, reading through `engine`. */
function storeBackedCopy(state: StoreBackedModelState, engine: ClickHouseEngine): StoreBackedModelState {
  const copy = new StoreBackedModelState(
    state.pointer,
    state.batchRowCount,
    new ClickHouseRunRowStore(engine, bulkColumnarIoFor(engine)),
    state.fallback,
    state.loadedAt,
    { cacheEntries: 10_000, summaryCacheMs: 0, now: Date.now },
  );
  for (const entityId of state.speed.entityIds()) copy.offerSpeed(state.speed.winner(entityId)!);
  return copy;
}
