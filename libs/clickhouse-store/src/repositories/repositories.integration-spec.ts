import {
  type BatchPrediction,
  type BatchRunRecord,
  ENTITY_ID_MAX_BYTES,
  type FeatureEvent,
  InvalidEntityIdError,
  type SpeedPrediction,
} from '@platform/domain';
import { ENGINE_KINDS, useTestEngine } from '../testing';
import { BatchPredictionRepository } from './batch-prediction-repository';
import { BatchRunRepository } from './batch-run-repository';
import { FeatureEventRepository } from './feature-event-repository';
import { MergedPredictionRepository } from './merged-prediction-repository';
import { ServingPointerRepository } from './serving-pointer-repository';
import { SpeedPredictionRepository } from './speed-prediction-repository';

/** Ids that break naive quoting, up to the length cap. */
const HOSTILE_IDS = [
  "O'Brien",
  'back\\slash',
  "\\'; DROP TABLE batch_predictions; --",
  'nul\u0000byte',
  'new\nline\r\ttab',
  '\u0007\u001b[31mansi',
  'ünïcødé 中文 😀',
  '\u{10ffff}\uffff',
  'x'.repeat(ENTITY_ID_MAX_BYTES),
  '€'.repeat(85) + 'a',
];

function speedRow(overrides: Partial<SpeedPrediction>): SpeedPrediction {
  return {
    model: 'churn',
    modelVersion: '1.0.0',
    entityId: 'e1',
    eventId: 'ev-1',
    eventTime: 2_000,
    outputs: [0.5],
    scoredAt: 2_100,
    source: { topic: 'features', partition: 0, offset: '1' },
    ...overrides,
  };
}

describe.each(ENGINE_KINDS)('repositories on %s', (kind) => {
  const engine = useTestEngine(kind);

  it('round-trips feature events, hostile ids and feature names included', async () => {
    const repository = new FeatureEventRepository(engine());
    const events: FeatureEvent[] = HOSTILE_IDS.map((entityId, index) => ({
      model: 'churn',
      entityId,
      eventId: `ev-${index}`,
      eventTime: 1_700_000_000_000 + index,
      numericFeatures: { tenure_months: index * 1.5, "weird 'name'": -0.25 },
      categoricalFeatures: { plan: 'pro\nplus', region: 'ü' },
      source: { topic: 'features', partition: index % 3, offset: String(2 ** 40 + index) },
      ingestedAt: 1_700_000_000_500,
    }));
    await repository.append(events);
    await repository.append(events.slice(0, 2)); // redelivery
    for (const event of events) {
      expect(await repository.listByEntity('churn', event.entityId)).toEqual([event]);
    }
  });

  it('round-trips batch runs as a log of states', async () => {
    const repository = new BatchRunRepository(engine());
    const running: BatchRunRecord = {
      runId: 'churn-r1',
      model: 'churn',
      modelVersion: '1.0.0',
      status: 'running',
      startedAt: 1_000,
      finishedAt: 0,
      updatedAt: 1_000,
      rows: 0,
      dataCutoff: 900,
      report: '',
      error: '',
    };
    const published: BatchRunRecord = {
      ...running,
      status: 'published',
      finishedAt: 5_000,
      updatedAt: 5_000,
      rows: 1_000_000,
      report: JSON.stringify({ psi: { score: 0.01 } }),
    };
    await repository.record(running);
    await repository.record(published);
    await repository.record({ ...running, runId: 'churn-r2', startedAt: 6_000, updatedAt: 6_000 });
    expect(await repository.get('churn-r1')).toEqual(published);
    expect((await repository.list('churn')).map((run) => [run.runId, run.status])).toEqual([
      ['churn-r2', 'running'],
      ['churn-r1', 'published'],
    ]);
    expect(await repository.get('nope')).toBeUndefined();
  });

  it('round-trips batch predictions with hostile ids and drops a run by partition', async () => {
    const repository = new BatchPredictionRepository(engine());
    const rows: BatchPrediction[] = HOSTILE_IDS.map((entityId, index) => ({
      model: 'churn',
      runId: 'churn-p1',
      entityId,
      outputs: [index / 16, 1 - index / 16],
      scoredAt: 3_000,
    }));
    await repository.insert(rows);
    await repository.insert([{ model: 'churn', runId: 'churn-p2', entityId: 'a', outputs: [0.5], scoredAt: 4_000 }]);
    const stored = await repository.listByRun('churn-p1');
    expect(new Set(stored.map((row) => row.entityId))).toEqual(new Set(HOSTILE_IDS));
    for (const row of rows) {
      expect(stored.find((s) => s.entityId === row.entityId)).toEqual(row);
    }
    expect(await repository.storedRunIds()).toEqual(['churn-p1', 'churn-p2']);

    await repository.dropRun('churn-p1');
    expect(await repository.countByRun('churn-p1')).toBe(0);
    expect(await repository.countByRun('churn-p2')).toBe(1);
    expect(await repository.storedRunIds()).toEqual(['churn-p2']);
  });

  it('keeps the serving pointer ordered, even for actions in the same millisecond', async () => {
    const repository = new ServingPointerRepository(engine());
    const base = { model: 'ptr', modelVersion: '1.0.0', dataCutoff: 100, actor: 'test' };
    await repository.append({ ...base, runId: 'r1', action: 'publish' }, 10_000);
    await repository.append({ ...base, runId: 'r2', action: 'publish' }, 10_000);
    await repository.append({ ...base, runId: 'r1', action: 'rollback' }, 10_000);
    expect(await repository.current('ptr')).toMatchObject({ runId: 'r1', action: 'rollback', at: 10_002 });
    expect((await repository.history('ptr')).map((p) => p.runId)).toEqual(['r1', 'r2', 'r1']);
    expect((await repository.currentAll()).find((p) => p.model === 'ptr')?.runId).toBe('r1');
    expect(await repository.current('no-such-model')).toBeUndefined();
  });

  it('round-trips speed predictions with hostile ids, one row per redelivered event', async () => {
    const repository = new SpeedPredictionRepository(engine());
    const rows = HOSTILE_IDS.map((entityId, index) =>
      speedRow({ model: 'speed-rt', entityId, eventId: `ev-${index}`, outputs: [index / 8, 0.5], source: { topic: 't', partition: 3, offset: String(2 ** 53 + 2 * index) } }),
    );
    await repository.insert(rows);
    await repository.insert(rows.slice(0, 3)); // redelivery
    for (const row of rows) {
      expect(await repository.listByEntity('speed-rt', row.entityId)).toEqual([row]);
    }
  });

  it('counts the speed rows of one model', async () => {
    const repository = new SpeedPredictionRepository(engine());
    await repository.insert([speedRow({ model: 'raw' }), speedRow({ model: 'raw', eventId: 'ev-2' }), speedRow({})]);
    expect(await repository.countRows('raw')).toBe(2);
  });

  it('refuses a merged lookup of an id over the cap before it reaches the engine', async () => {
    const merged = new MergedPredictionRepository(engine());
    await expect(merged.get('churn', ['y'.repeat(ENTITY_ID_MAX_BYTES + 1)])).rejects.toThrow(InvalidEntityIdError);
  });
});
