import { type BatchPrediction, mergePrediction, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import fc from 'fast-check';
import { BatchRunTableBuilder } from './batch-run-table';
import { ColdStartFallback } from './cold-start-fallback';
import { InMemoryModelState } from './model-serving-state';

const MODEL = 'churn';
const UNLIMITED = { limitBytes: Number.MAX_SAFE_INTEGER, usedElsewhereBytes: 0 };

function pointer(runId: string, modelVersion: string, dataCutoff: number): ServingPointer {
  return { model: MODEL, runId, modelVersion, dataCutoff, action: 'publish', at: 1, actor: 'test' };
}

function speed(entityId: string, eventId: string, eventTime: number, modelVersion: string, score: number): SpeedPrediction {
  return {
    model: MODEL,
    modelVersion,
    entityId,
    eventId,
    eventTime,
    outputs: [score],
    scoredAt: eventTime + 5,
    source: { topic: 'features', partition: 0, offset: '0' },
  };
}

function stateOf(current: ServingPointer, batchRows: readonly BatchPrediction[], loadedAt = 10_000): InMemoryModelState {
  const builder = new BatchRunTableBuilder(MODEL, current.runId, UNLIMITED);
  for (const row of batchRows) builder.append(row.entityId, row.outputs, row.scoredAt, []);
  const table = builder.build();
  return new InMemoryModelState(current, table, new ColdStartFallback([], table.meanOutputs()), loadedAt);
}

describe('ModelServingState', () => {
  const current = pointer('run-2', '2.0.0', 1_000);
  const batchRows: BatchPrediction[] = [
    { model: MODEL, runId: 'run-2', entityId: 'a', outputs: [0.25], scoredAt: 900 },
    { model: MODEL, runId: 'run-2', entityId: 'b', outputs: [0.75], scoredAt: 900 },
  ];

  it('answers from the run with provenance when no speed row can win', () => {
    const state = stateOf(current, batchRows);
    state.offerSpeed(speed('a', 'old', 1_000, '2.0.0', 0.9)); // exactly at the cut-off: already in the run
    state.offerSpeed(speed('a', 'other-version', 5_000, '1.0.0', 0.9));
    expect(state.answer('a')).toEqual({
      model: MODEL,
      entityId: 'a',
      source: 'batch',
      fallback: null,
      runId: 'run-2',
      modelVersion: '2.0.0',
      dataCutoff: 1_000,
      outputs: [0.25],
      scoredAt: 900,
      eventId: null,
      eventTime: null,
      freshness: { batchLoadedAt: 10_000, speedAsOf: 10_000 },
    });
  });

  it('answers from the latest eligible speed row, ties by the larger event id', () => {
    const state = stateOf(current, batchRows);
    state.offerSpeed(speed('b', 'e-1', 2_000, '2.0.0', 0.125));
    state.offerSpeed(speed('b', 'e-3', 2_000, '2.0.0', 0.375));
    state.offerSpeed(speed('b', 'e-2', 2_000, '2.0.0', 0.625));
    state.markSpeedAsOf(12_000);
    expect(state.answer('b')).toMatchObject({
      source: 'speed',
      outputs: [0.375],
      eventId: 'e-3',
      eventTime: 2_000,
      scoredAt: 2_005,
      freshness: { batchLoadedAt: 10_000, speedAsOf: 12_000 },
    });
  });

  it('answers unknown entities with the global default, marked as a fallback', () => {
    expect(stateOf(current, batchRows).answer('nobody')).toMatchObject({
      source: 'fallback',
      fallback: 'global',
      outputs: [0.5],
      scoredAt: null,
      eventId: null,
    });
  });

  it('agrees with the merge rule over every row, whatever order and repetition the rows arrive in', () => {
    const entity = fc.constantFrom('a', 'b', 'c', 'é', '\u{1F600}');
    const history = fc.record({
      dataCutoff: fc.integer({ min: 0, max: 20 }),
      modelVersion: fc.constantFrom('1.0.0', '2.0.0'),
      batch: fc.uniqueArray(fc.record({ entityId: entity, score: fc.integer({ min: 0, max: 64 }) }), {
        selector: (row) => row.entityId,
      }),
      speed: fc.array(
        fc.record({
          entityId: entity,
          eventId: fc.constantFrom('e1', 'e2', 'e\u{FFFD}', 'e\u{1F600}'),
          eventTime: fc.integer({ min: 0, max: 30 }),
          modelVersion: fc.constantFrom('1.0.0', '2.0.0'),
          score: fc.integer({ min: 0, max: 64 }),
        }),
        { maxLength: 30 },
      ),
    });
    fc.assert(
      fc.property(history, fc.array(fc.nat(), { minLength: 45, maxLength: 45 }), (h, sortKeys) => {
        const current = pointer('run', h.modelVersion, h.dataCutoff);
        const batch = h.batch.map((row) => ({
          model: MODEL,
          runId: 'run',
          entityId: row.entityId,
          outputs: [row.score / 64],
          scoredAt: 7,
        }));
        // One event id stands for one event: a redelivery repeats the same row.
        const byEvent = new Map<string, SpeedPrediction>();
        for (const row of h.speed) {
          const key = `${row.entityId}\u0000${row.eventId}\u0000${row.modelVersion}`;
          if (!byEvent.has(key)) byEvent.set(key, speed(row.entityId, row.eventId, row.eventTime, row.modelVersion, row.score / 64));
        }
        const speedRows = [...byEvent.values()];
        const delivered = [...speedRows, ...speedRows.filter((_, index) => index % 2 === 0)];
        const order = [...delivered.keys()].sort((x, y) => sortKeys[x]! - sortKeys[y]!);
        const state = stateOf(current, batch);
        for (const index of order) state.offerSpeed(delivered[index]!);
        for (const entityId of ['a', 'b', 'c', 'é', '\u{1F600}']) {
          const expected = mergePrediction(
            current,
            batch.find((row) => row.entityId === entityId),
            speedRows.filter((row) => row.entityId === entityId),
          );
          const answer = state.answer(entityId);
          if (expected === undefined) {
            expect(answer.source).toBe('fallback');
          } else {
            expect(answer).toMatchObject({
              source: expected.source,
              outputs: expected.outputs,
              scoredAt: expected.scoredAt,
              eventId: expected.source === 'speed' ? expected.eventId : null,
              eventTime: expected.source === 'speed' ? expected.eventTime : null,
            });
          }
        }
      }),
    );
  });
});

describe('ModelServingState.summary', () => {
  it('counts entities by the source that answers them and bins the merged scores', () => {
    const current = pointer('run-1', '1.0.0', 0);
    const state = stateOf(
      current,
      [0, 0.25, 0.5, 1].map((score, k) => ({ model: MODEL, runId: 'run-1', entityId: `e${k}`, outputs: [score], scoredAt: 1 })),
    );
    state.offerSpeed(speed('e0', 'x', 10, '1.0.0', 0.75));
    state.offerSpeed(speed('new', 'y', 10, '1.0.0', 0.75));
    const summary = state.summary();
    expect(summary).toMatchObject({ runId: 'run-1', countsBySource: { batch: 3, speed: 2 } });
    expect(summary.scoreDistribution).toHaveLength(10);
    // e0's batch score 0 is not served (its speed row is): merged scores are 0.25, 0.5, 0.75, 0.75, 1.
    expect(summary.scoreDistribution.map((bin) => bin.count)).toEqual([1, 0, 0, 1, 0, 0, 2, 0, 0, 1]);
    expect(summary.scoreDistribution[0]).toMatchObject({ from: 0.25 });
    expect(summary.scoreDistribution[9]).toMatchObject({ to: 1 });
  });
});
