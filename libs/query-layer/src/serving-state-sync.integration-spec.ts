import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import {
  BatchPredictionRepository,
  type ClickHouseEngine,
  ServingPointerRepository,
  SpeedPredictionRepository,
} from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { type BatchPrediction, type SpeedPrediction } from '@platform/domain';
import { type SegmentAttributes, type ServedPrediction, ServingState } from '@platform/query-domain';
import { ServingStateReader } from './serving-state-reader';
import { type QueryLog, type ServingStateObserver, ServingStateSync, type ServingStateSyncOptions } from './serving-state-sync';

const MODEL = 'churn';
const ENTITIES = 5_000;
const OPTIONS: ServingStateSyncOptions = { pointerPollMs: 100, speedPollMs: 100, speedOverlapMs: 2_000, stateMaxBytes: 256 * 1024 * 1024, storeBackedCacheEntries: 1_000 };

/** Scores that tell runs apart: run-1 answers k/8192, run-2 answers 1 - k/8192 (exact in Float32). */
function runRows(runId: string, count: number): BatchPrediction[] {
  return Array.from({ length: count }, (_, k) => ({
    model: MODEL,
    runId,
    entityId: `customer-${k}`,
    outputs: [runId === 'run-1' ? k / 8192 : 1 - k / 8192],
    scoredAt: 1_000,
  }));
}

function speed(entityId: string, eventId: string, eventTime: number, modelVersion: string, score: number): SpeedPrediction {
  return {
    model: MODEL,
    modelVersion,
    entityId,
    eventId,
    eventTime,
    outputs: [score],
    scoredAt: Date.now(),
    source: { topic: 'features', partition: 0, offset: String(eventTime) },
  };
}

/** These runs fit the budget, so every answer is synchronous. */
function answerInMemory(serving: ServingState, entityId: string, segment?: SegmentAttributes): ServedPrediction {
  const answer = serving.answer(MODEL, entityId, segment);
  if (answer instanceof Promise) throw new Error(`model ${MODEL} is store-backed; expected it in memory`);
  return answer;
}

const silentLog: QueryLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

function recordingLog(): QueryLog & { errors: string[] } {
  const errors: string[] = [];
  return { ...silentLog, errors, error: (_fields, message) => errors.push(message) };
}

async function eventually(check: () => void, timeoutMs = 5_000): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      check();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

describe.each(ENGINE_KINDS)('ServingStateSync on %s', (kind) => {
  const engine = useTestEngine(kind);
  const syncs: ServingStateSync[] = [];

  function startSync(
    serving: ServingState,
    options: Partial<ServingStateSyncOptions> = {},
    log: QueryLog = silentLog,
    observer?: ServingStateObserver,
  ): ServingStateSync {
    const e: ClickHouseEngine = engine();
    const sync = new ServingStateSync(
      serving,
      new ServingPointerRepository(e),
      new ServingStateReader(e, bulkColumnarIoFor(e)),
      { ...OPTIONS, ...options },
      log,
      observer === undefined ? [] : [observer],
    );
    syncs.push(sync);
    return sync;
  }

  afterEach(async () => {
    await Promise.all(syncs.splice(0).map((sync) => sync.stop()));
  });

  beforeAll(async () => {
    const batch = new BatchPredictionRepository(engine());
    await batch.insert(runRows('run-1', ENTITIES));
    await batch.insert(runRows('run-2', ENTITIES));
    await engine().insertRows(
      'segment_aggregates',
      [
        { model: MODEL, run_id: 'run-1', segment_columns: ['region'], segment_values: ['north'], row_count: 10, output_means: [0.125] },
        { model: MODEL, run_id: 'run-2', segment_columns: ['region'], segment_values: ['north'], row_count: 10, output_means: [0.875] },
      ],
      'segment aggregates for the test',
    );
  });

  it('is not ready and serves nothing while no run is published', async () => {
    const serving = new ServingState();
    const sync = startSync(serving);
    await sync.start();
    expect(sync.ready).toBe(true); // nothing to build: every published model (none) is loaded
    expect(serving.models()).toEqual([]);
  });

  it('loads the published run in bulk, with provenance and the cold-start fallback', async () => {
    await new ServingPointerRepository(engine()).append({
      model: MODEL,
      runId: 'run-1',
      modelVersion: '1.0.0',
      dataCutoff: 10_000,
      action: 'publish',
      actor: 'test',
    });
    const serving = new ServingState();
    const sync = startSync(serving);
    expect(sync.ready).toBe(false);
    await sync.start();
    expect(sync.ready).toBe(true);
    expect(serving.require(MODEL).batchRowCount).toBe(ENTITIES);
    expect(answerInMemory(serving, 'customer-4096')).toMatchObject({
      source: 'batch',
      runId: 'run-1',
      modelVersion: '1.0.0',
      dataCutoff: 10_000,
      outputs: [0.5],
      scoredAt: 1_000,
    });
    expect(answerInMemory(serving, 'newcomer', { region: 'north' })).toMatchObject({ source: 'fallback', fallback: 'segment', outputs: [0.125] });
    const globalMean = (ENTITIES - 1) / 2 / 8192;
    const global = answerInMemory(serving, 'newcomer', { region: 'south' });
    expect(global).toMatchObject({ source: 'fallback', fallback: 'global' });
    expect(global.outputs[0]).toBeCloseTo(globalMean, 6);
  });

  it('serves a speed row within a second of its write, once, and only when the rule lets it win', async () => {
    const serving = new ServingState();
    const changes: string[] = [];
    const sync = startSync(serving, {}, silentLog, {
      stateInstalled: () => undefined,
      speedChanged: (_state, rows) => changes.push(...rows.map((row) => row.eventId)),
    });
    await sync.start();
    const speedRows = new SpeedPredictionRepository(engine());
    await speedRows.insert([
      speed('customer-1', 'stale', 9_000, '1.0.0', 0.75), // before the cut-off
      speed('customer-1', 'other-version', 20_000, '2.0.0', 0.75),
    ]);
    const fresh = speed('customer-1', 'fresh', 20_000, '1.0.0', 0.25);
    await speedRows.insert([fresh]);
    const written = Date.now();
    await eventually(() => expect(answerInMemory(serving, 'customer-1')).toMatchObject({ source: 'speed', eventId: 'fresh', outputs: [0.25] }));
    expect(Date.now() - written).toBeLessThanOrEqual(1_000);
    await speedRows.insert([{ ...fresh, scoredAt: Date.now() }]); // a redelivery
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(changes).toEqual(['fresh']);
    expect(answerInMemory(serving, 'customer-1').freshness.speedAsOf).toBeGreaterThan(written);
  });

  it('swaps to a newly published run whole, then back on rollback, never mixing runs', async () => {
    const serving = new ServingState();
    const sync = startSync(serving);
    await sync.start();
    const pointers = new ServingPointerRepository(engine());
    const samples: { runId: string; score: number; k: number }[] = [];
    const sampler = setInterval(() => {
      for (const k of [0, 1234, 4999]) {
        const answer = answerInMemory(serving, `customer-${k}`);
        if (answer.source === 'batch') samples.push({ runId: answer.runId, score: answer.outputs[0]!, k });
      }
    }, 1);
    try {
      await pointers.append({ model: MODEL, runId: 'run-2', modelVersion: '2.0.0', dataCutoff: 15_000, action: 'publish', actor: 'test' });
      await eventually(() => expect(serving.require(MODEL).pointer.runId).toBe('run-2'));
      // Under run-2 (version 2.0.0, cut-off 15,000) the version-2 row written earlier now wins.
      expect(answerInMemory(serving, 'customer-1')).toMatchObject({ source: 'speed', eventId: 'other-version', runId: 'run-2' });
      expect(answerInMemory(serving, 'newcomer', { region: 'north' }).outputs).toEqual([0.875]);
      await pointers.append({ model: MODEL, runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 10_000, action: 'rollback', actor: 'test' });
      await eventually(() => expect(serving.require(MODEL).pointer.runId).toBe('run-1'));
      expect(answerInMemory(serving, 'customer-1')).toMatchObject({ source: 'speed', eventId: 'fresh', runId: 'run-1' });
    } finally {
      clearInterval(sampler);
    }
    expect(new Set(samples.map((sample) => sample.runId))).toEqual(new Set(['run-1', 'run-2']));
    for (const sample of samples) {
      expect(sample.score).toBe(sample.runId === 'run-1' ? sample.k / 8192 : 1 - sample.k / 8192);
    }
  });

  it('rebuilds the same answers after a restart', async () => {
    const first = new ServingState();
    await startSync(first).start();
    const second = new ServingState();
    await startSync(second).start();
    for (const id of ['customer-0', 'customer-1', 'customer-4999', 'newcomer']) {
      const { freshness: _a, ...before } = answerInMemory(first, id);
      const { freshness: _b, ...after } = answerInMemory(second, id);
      expect(after).toEqual(before);
    }
  });

  it('serves a run over the memory budget from the store, and is ready', async () => {
    const serving = new ServingState();
    const log = recordingLog();
    const sync = startSync(serving, { stateMaxBytes: 100_000 }, log);
    await sync.start();
    expect(sync.ready).toBe(true);
    expect(log.errors).toEqual([]);
    const state = serving.require(MODEL);
    expect(state.storeBacked).toBe(true);
    expect(state.batchRowCount).toBe(ENTITIES);
    const answer = serving.answer(MODEL, 'customer-4096');
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toMatchObject({ source: 'batch', runId: 'run-1', outputs: [4096 / 8192] });
  });
});
