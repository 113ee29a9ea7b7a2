import { mergePrediction } from './merge-rule';
import { type BatchPrediction, type SpeedPrediction } from './predictions';
import { type CurrentRun } from './serving-pointer';

const current: CurrentRun = { runId: 'run-2', modelVersion: '2.0.0', dataCutoff: 1_000 };

const batch: BatchPrediction = { model: 'churn', runId: 'run-2', entityId: 'e1', outputs: [0.2], scoredAt: 900 };

function speed(overrides: Partial<SpeedPrediction>): SpeedPrediction {
  return {
    model: 'churn',
    modelVersion: '2.0.0',
    entityId: 'e1',
    eventId: 'ev-1',
    eventTime: 1_500,
    outputs: [0.9],
    scoredAt: 1_600,
    source: { topic: 'features', partition: 0, offset: '7' },
    ...overrides,
  };
}

describe('mergePrediction', () => {
  it('serves the batch prediction when there is no speed prediction', () => {
    expect(mergePrediction(current, batch, [])).toMatchObject({ source: 'batch', outputs: [0.2], runId: 'run-2' });
  });

  it('serves a speed prediction newer than the cut-off and of the current model version', () => {
    expect(mergePrediction(current, batch, [speed({})])).toMatchObject({
      source: 'speed',
      outputs: [0.9],
      eventId: 'ev-1',
      modelVersion: '2.0.0',
      dataCutoff: 1_000,
    });
  });

  it('ignores a speed prediction exactly at the cut-off: the run already read that event', () => {
    expect(mergePrediction(current, batch, [speed({ eventTime: 1_000 })])?.source).toBe('batch');
  });

  it('ignores a speed prediction of another model version, however new', () => {
    expect(mergePrediction(current, batch, [speed({ modelVersion: '1.0.0', eventTime: 9_999 })])?.source).toBe(
      'batch',
    );
  });

  it('serves the latest event and breaks event-time ties by the larger event id', () => {
    const rows = [
      speed({ eventId: 'b', eventTime: 2_000, outputs: [0.1] }),
      speed({ eventId: 'c', eventTime: 2_000, outputs: [0.3] }),
      speed({ eventId: 'z', eventTime: 1_900, outputs: [0.5] }),
    ];
    expect(mergePrediction(current, batch, rows)).toMatchObject({ eventId: 'c', outputs: [0.3] });
    expect(mergePrediction(current, batch, [...rows].reverse())).toMatchObject({ eventId: 'c', outputs: [0.3] });
  });

  it('orders event ids bytewise in UTF-8, as ClickHouse does', () => {
    // U+FF5E sorts before U+1F600 in UTF-8 but after it in UTF-16.
    const rows = [speed({ eventId: '\u{ff5e}', outputs: [0.1] }), speed({ eventId: '\u{1f600}', outputs: [0.2] })];
    expect(mergePrediction(current, batch, rows)).toMatchObject({ outputs: [0.2] });
  });

  it('counts a redelivered event once', () => {
    const merged = mergePrediction(current, undefined, [speed({}), speed({ scoredAt: 1_700 })]);
    expect(merged).toMatchObject({ source: 'speed', eventId: 'ev-1' });
  });

  it('serves a speed prediction for an entity the run never scored', () => {
    expect(mergePrediction(current, undefined, [speed({ entityId: 'new' })])).toMatchObject({
      source: 'speed',
      entityId: 'new',
    });
  });

  it('answers nothing for a model without a published run, or a batch row of another run', () => {
    expect(mergePrediction(undefined, batch, [speed({})])).toBeUndefined();
    expect(mergePrediction(current, { ...batch, runId: 'run-1' }, [])).toBeUndefined();
  });
});
