import { FeatureEventRepository, SpeedPredictionRepository } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { type FeatureEvent } from '@platform/domain';
import { predictionRows, type ScoredEvents } from './event-scorer';
import { SpeedTableWrites } from './speed-table-writes';

/** Awkward but valid values: non-ASCII ids and names, no features, offsets past 2^53, extreme doubles. */
const EVENTS: FeatureEvent[] = [
  {
    model: 'churn',
    entityId: 'ünïcødé-😀',
    eventId: 'ev-1',
    eventTime: 1_700_000_000_123,
    numericFeatures: { tenure: 0.1, 'spend €': 1e300, tiny: Number.MIN_VALUE, neg: -2.5 },
    categoricalFeatures: { plan: 'pro', région: '' },
    source: { topic: 'features', partition: 2, offset: '9007199254740993' },
    ingestedAt: 1_700_000_000_500,
  },
  {
    model: 'churn',
    entityId: 'ünïcødé-😀',
    eventId: 'ev-2',
    eventTime: 1_700_000_000_124,
    numericFeatures: {},
    categoricalFeatures: {},
    source: { topic: 'features', partition: 0, offset: '0' },
    ingestedAt: 1_700_000_000_501,
  },
  {
    model: 'fraud',
    entityId: 'x'.repeat(256),
    eventId: 'é'.repeat(128),
    eventTime: 0,
    numericFeatures: { amount: 42 },
    categoricalFeatures: { country: 'ÅX' },
    source: { topic: 'other-topic', partition: 1, offset: '17' },
    ingestedAt: 8_640_000_000_000_000,
  },
];

function scoredOf(model: string, modelVersion: string, events: readonly FeatureEvent[], outputs: number[], width: number): ScoredEvents {
  return { model, modelVersion, scoredAt: 1_700_000_001_000, events, outputs: Float32Array.from(outputs), width, unscored: 0 };
}

describe.each(ENGINE_KINDS)('speed table writes on %s', (kind) => {
  const engine = useTestEngine(kind);

  it('appends feature events that read back exactly as they were', async () => {
    await new SpeedTableWrites(engine()).appendEvents(EVENTS);
    const events = new FeatureEventRepository(engine());
    expect(await events.listByEntity('churn', 'ünïcødé-😀')).toEqual(EVENTS.slice(0, 2));
    expect(await events.listByEntity('fraud', 'x'.repeat(256))).toEqual([EVENTS[2]]);
  });

  it("inserts each model's scored events in one write, outputs exact to the float32 bit", async () => {
    const churn = scoredOf('churn', '2.0.0', EVENTS.slice(0, 2), [0.1, 0.9, NaN, -0], 2);
    const fraud = scoredOf('fraud', '1.0.0', EVENTS.slice(2), [Math.fround(1 / 3), 1e30], 2);
    const writes = new SpeedTableWrites(engine());
    await writes.insertPredictions([churn, scoredOf('churn', '2.0.0', [], [], 2), fraud]);
    const predictions = new SpeedPredictionRepository(engine());
    const stored = [...(await predictions.listByEntity('churn', 'ünïcødé-😀')), ...(await predictions.listByEntity('fraud', 'x'.repeat(256)))];
    const expected = [...predictionRows(churn), ...predictionRows(fraud)];
    expect(stored.map(({ outputs, ...rest }) => rest)).toEqual(expected.map(({ outputs, ...rest }) => rest));
    // A JSON read prints a float32 in its shortest form (0.1 comes back as the double 0.1): compare as float32.
    expect(stored.map((row) => Array.from(Float32Array.from(row.outputs)))).toEqual(expected.map((row) => Array.from(Float32Array.from(row.outputs))));
    expect(await predictions.countRows('churn')).toBe(2);
  });
});
