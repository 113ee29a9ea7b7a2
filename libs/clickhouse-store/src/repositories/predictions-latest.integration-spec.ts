import {
  type BatchPrediction,
  type CurrentRun,
  type MergedPrediction,
  mergePrediction,
  type SpeedPrediction,
} from '@platform/domain';
import { ENGINE_KINDS, useTestEngine } from '../testing';
import { BatchPredictionRepository } from './batch-prediction-repository';
import { MergedPredictionRepository } from './merged-prediction-repository';
import { ServingPointerRepository } from './serving-pointer-repository';
import { SpeedPredictionRepository } from './speed-prediction-repository';

const MODEL = 'churn';

function batch(runId: string, entityId: string, score: number): BatchPrediction {
  return { model: MODEL, runId, entityId, outputs: [score], scoredAt: 500 };
}

function speed(entityId: string, eventId: string, eventTime: number, modelVersion: string, score: number): SpeedPrediction {
  return {
    model: MODEL,
    modelVersion,
    entityId,
    eventId,
    eventTime,
    outputs: [score],
    scoredAt: eventTime + 10,
    source: { topic: 'features', partition: 0, offset: String(eventTime) },
  };
}

/** Scores are multiples of 1/8, exact in Float32, so rows compare with toEqual. */
const batchRows = [
  ...['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => batch('run-1', id, i / 8)),
  ...['a', 'b', 'c', 'd', 'e', 'f'].map((id, i) => batch('run-2', id, (i + 1) / 8)),
  batch('run-0', 'a', 0.875),
];

const speedRows = [
  speed('b', 'ev-b1', 1_500, '1.0.0', 0.25), // newer than run-1's cut-off, version 1: wins under run-1
  speed('c', 'ev-c1', 900, '1.0.0', 0.375), // older than the cut-off: loses
  speed('d', 'ev-d1', 1_000, '1.0.0', 0.5), // exactly at the cut-off: loses
  speed('e', 'ev-e1', 5_000, '2.0.0', 0.625), // another model version: loses under run-1, wins under run-2
  speed('f', 'ev-f1', 1_700, '1.0.0', 0.125), // event-time tie: the larger event id wins
  speed('f', 'ev-f2', 1_700, '1.0.0', 0.75),
  speed('f', 'ev-f0', 1_600, '1.0.0', 0.875),
  speed('g', 'ev-g1', 1_200, '1.0.0', 0.5), // an entity no run scored
  speed('b', 'ev-b1', 1_500, '1.0.0', 0.25), // redelivery of ev-b1
];

function expectedView(current: CurrentRun): MergedPrediction[] {
  const entities = [...new Set([...batchRows, ...speedRows].map((row) => row.entityId))].sort();
  return entities.flatMap((entityId) => {
    const merged = mergePrediction(
      current,
      batchRows.find((row) => row.entityId === entityId && row.runId === current.runId),
      speedRows.filter((row) => row.entityId === entityId),
    );
    return merged === undefined ? [] : [merged];
  });
}

describe.each(ENGINE_KINDS)('predictions_latest on %s', (kind) => {
  const engine = useTestEngine(kind);
  const run1: CurrentRun = { runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 1_000 };
  const run2: CurrentRun = { runId: 'run-2', modelVersion: '2.0.0', dataCutoff: 2_000 };

  beforeAll(async () => {
    await new BatchPredictionRepository(engine()).insert(batchRows);
    await new SpeedPredictionRepository(engine()).insert(speedRows);
  });

  it('serves nothing before a run is published', async () => {
    expect(await new MergedPredictionRepository(engine()).list(MODEL)).toEqual([]);
  });

  it('applies the merge rule to the published run, as the in-memory rule does', async () => {
    const pointers = new ServingPointerRepository(engine());
    await pointers.append({ model: MODEL, ...run1, action: 'publish', actor: 'test' });
    const view = await new MergedPredictionRepository(engine()).list(MODEL);
    expect(view).toEqual(expectedView(run1));
    expect(view.map((row) => [row.entityId, row.source, row.outputs[0]])).toEqual([
      ['a', 'batch', 0],
      ['b', 'speed', 0.25],
      ['c', 'batch', 0.25],
      ['d', 'batch', 0.375],
      ['e', 'batch', 0.5],
      ['f', 'speed', 0.75],
      ['g', 'speed', 0.5],
    ]);
  });

  it('moves with the pointer on publish and rollback', async () => {
    const pointers = new ServingPointerRepository(engine());
    const merged = new MergedPredictionRepository(engine());
    await pointers.append({ model: MODEL, ...run2, action: 'publish', actor: 'test' });
    const afterPublish = await merged.list(MODEL);
    expect(afterPublish).toEqual(expectedView(run2));
    expect(afterPublish.filter((row) => row.source === 'speed').map((row) => row.entityId)).toEqual(['e']);
    expect(new Set(afterPublish.map((row) => row.modelVersion))).toEqual(new Set(['2.0.0']));

    await pointers.append({ model: MODEL, ...run1, action: 'rollback', actor: 'test' });
    expect(await merged.list(MODEL)).toEqual(expectedView(run1));
  });

  it('looks up entities by id, answering only those with a prediction', async () => {
    const rows = await new MergedPredictionRepository(engine()).get(MODEL, ['f', 'zz', 'a']);
    expect(rows.map((row) => row.entityId).sort()).toEqual(['a', 'f']);
  });
});
