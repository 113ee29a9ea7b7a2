import { type FeatureEvent, type SpeedPrediction } from '@platform/domain';
import { type ConsumedMessage } from '@platform/event-stream';
import { type LoadedModel, parseModelManifest } from '@platform/model-package';
import { type DeadLetterMessage, parseDeadLetterMessage } from '@platform/speed-domain';
import { predictionRows } from './event-scorer';
import { IngestFeatureEvents } from './ingest-feature-events';
import { type ServingModel } from './serving-model';

const manifest = parseModelManifest(
  {
    manifestVersion: 1,
    name: 'churn',
    version: '2.0.0',
    format: 'layers-model',
    features: [
      { name: 'tenure', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ['basic', 'pro'] },
    ],
    outputs: [{ name: 'p', min: 0, max: 1 }],
  },
  'test',
);

/** Scores a row as tenure / 100, so each prediction says which event it came from. */
const model: LoadedModel = {
  manifest,
  packageDir: '/models/churn/2.0.0',
  score: async (columns, rowCount) => ({ outputs: Float32Array.from(columns['tenure']!.subarray(0, rowCount), (tenure) => tenure / 100), rowCount, rejections: [] }),
  dispose: () => undefined,
};

const NOW = 1_800_000_000_000;
let nextOffset = 0;

function message(value: unknown, partition = 0): ConsumedMessage {
  return {
    topic: 'feature-events',
    partition,
    offset: String(nextOffset++),
    key: null,
    value: typeof value === 'string' ? Buffer.from(value) : Buffer.from(JSON.stringify(value)),
    headers: {},
    timestamp: NOW,
  };
}

const event = (eventId: string, eventTime: number, tenure: number, model = 'churn') => ({
  schema: 'feature-event/v1',
  eventId,
  entityId: `customer-${eventId}`,
  eventTime,
  model,
  features: { tenure, plan: 'pro' },
});

function harness(serving: ServingModel | undefined, failAppend = false, manifests = () => new Map([['churn', manifest]])) {
  const calls: string[] = [];
  const appended: FeatureEvent[] = [];
  const predicted: SpeedPrediction[] = [];
  const deadLetters: DeadLetterMessage[] = [];
  const ingest = new IngestFeatureEvents({
    servingModels: () => new Map(serving === undefined ? [] : [['churn', serving]]),
    manifests,
    masterDataset: {
      appendEvents: async (events) => {
        calls.push('append');
        if (failAppend) throw new Error('ClickHouse is down');
        appended.push(...events);
      },
    },
    predictions: { insertPredictions: async (scored) => void (calls.push('predict'), predicted.push(...scored.flatMap(predictionRows))) },
    publishPredictions: async (scored) => void calls.push(`publish ${scored.map((part) => part.events.length).join(', ')}`),
    sendDeadLetters: async (messages) => void (calls.push('dead-letter'), deadLetters.push(...messages)),
    allowedClockSkewMs: 60_000,
    clock: () => NOW,
  });
  return { ingest, calls, appended, predicted, deadLetters };
}

describe('IngestFeatureEvents', () => {
  it('dead-letters invalid messages, keeps every valid event, scores the on-time ones with the serving version', async () => {
    const { ingest, calls, appended, predicted, deadLetters } = harness({ modelVersion: '2.0.0', dataCutoff: NOW - 10_000, model });
    const batch = [
      message(event('a', NOW - 1_000, 10)),
      message('{not json'),
      message(event('late', NOW - 20_000, 30)),
      message(event('b', NOW - 500, 20), 1),
      message(event('a', NOW - 1_000, 10)),
      message(event('x', NOW, 5, 'fraud')),
    ];
    const outcome = await ingest.ingest(batch);

    expect(calls).toEqual(['dead-letter', 'append', 'predict', 'publish 2']);
    expect(outcome).toMatchObject({ appended: 3, scored: 2, late: 1, unscored: 0, duplicates: 1, deadLettered: { 'not-json': 1, 'unknown-model': 1 } });
    expect(appended.map((e) => e.eventId).sort()).toEqual(['a', 'b', 'late']);
    expect(appended.find((e) => e.eventId === 'a')!.source.offset).toBe(batch[4]!.offset);
    expect(predicted.map((p) => [p.eventId, p.modelVersion, p.outputs[0]]).sort()).toEqual([
      ['a', '2.0.0', expect.closeTo(0.1, 6)],
      ['b', '2.0.0', expect.closeTo(0.2, 6)],
    ]);
    expect(deadLetters.map((letter) => parseDeadLetterMessage(letter).reason).sort()).toEqual(['not-json', 'unknown-model']);
    expect(outcome.positions).toEqual([
      { topic: 'feature-events', partition: 0, offset: String(Number(batch[5]!.offset) + 1) },
      { topic: 'feature-events', partition: 1, offset: String(Number(batch[3]!.offset) + 1) },
    ]);
  });

  it('keeps the events of a model without a published run, unscored', async () => {
    const { ingest, predicted, appended } = harness(undefined);
    const outcome = await ingest.ingest([message(event('c', NOW - 1_000, 10))]);
    expect(outcome).toMatchObject({ appended: 1, scored: 0, unscored: 1 });
    expect(appended).toHaveLength(1);
    expect(predicted).toEqual([]);
  });

  it('throws when a write fails and scores nothing, so the caller commits nothing and the batch comes again', async () => {
    const { ingest, calls } = harness({ modelVersion: '2.0.0', dataCutoff: 0, model }, true);
    await expect(ingest.ingest([message(event('d', NOW - 1_000, 10))])).rejects.toThrow('ClickHouse is down');
    expect(calls).toEqual(['append']);
  });

  it('prepares a batch again when the manifests changed between preparing and writing it', async () => {
    const knowsSpend = parseModelManifest({ ...manifest, version: '3.0.0', features: [...manifest.features, { name: 'spend', type: 'numeric' }] }, 'test');
    let current = new Map([['churn', manifest]]);
    const { ingest, appended, deadLetters } = harness({ modelVersion: '2.0.0', dataCutoff: 0, model }, false, () => current);
    const spendEvent = { ...event('s', NOW - 1_000, 10), features: { tenure: 10, plan: 'pro', spend: 3 } };
    const prepared = ingest.prepare([message(spendEvent)]);
    expect(prepared.deadLettered).toEqual({ 'unknown-feature': 1 });

    current = new Map([['churn', knowsSpend]]);
    const outcome = await ingest.write(prepared);
    expect(outcome).toMatchObject({ appended: 1, deadLettered: {} });
    expect(appended.map((e) => e.numericFeatures)).toEqual([{ tenure: 10, spend: 3 }]);
    expect(deadLetters).toEqual([]);
  });

  it('writes a prepared batch as prepared while the manifests stay the same', async () => {
    let reads = 0;
    const fixed = new Map([['churn', manifest]]);
    const { ingest, appended } = harness({ modelVersion: '2.0.0', dataCutoff: 0, model }, false, () => (reads++, new Map(fixed)));
    const prepared = ingest.prepare([message(event('p', NOW - 1_000, 10))]);
    await ingest.write(prepared);
    expect(appended).toEqual(prepared.events);
    expect(appended[0]).toBe(prepared.events[0]);
    expect(reads).toBe(2);
  });

  it('scores while the append is in flight but writes predictions only once it has succeeded', async () => {
    let releaseAppend: () => void = () => undefined;
    const calls: string[] = [];
    const scoring = { ...model, score: async (columns: Parameters<LoadedModel['score']>[0], rowCount: number) => (calls.push('score'), model.score(columns, rowCount)) };
    const ingest = new IngestFeatureEvents({
      servingModels: () => new Map([['churn', { modelVersion: '2.0.0', dataCutoff: 0, model: scoring }]]),
      manifests: () => new Map([['churn', manifest]]),
      masterDataset: { appendEvents: () => (calls.push('append'), new Promise<void>((resolve) => (releaseAppend = resolve))) },
      predictions: { insertPredictions: async () => void calls.push('predict') },
      sendDeadLetters: async () => undefined,
      allowedClockSkewMs: 60_000,
      clock: () => NOW,
    });
    const written = ingest.ingest([message(event('q', NOW - 1_000, 10))]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(calls).toEqual(['append', 'score']);
    releaseAppend();
    await expect(written).resolves.toMatchObject({ appended: 1, scored: 1 });
    expect(calls).toEqual(['append', 'score', 'predict']);
  });
});
