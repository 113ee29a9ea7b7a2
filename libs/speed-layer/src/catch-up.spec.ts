import { type EpochMs, type FeatureEvent } from '@platform/domain';
import { type LoadedModel, parseModelManifest } from '@platform/model-package';
import { CATCH_UP_OVERLAP_MS, CatchUpScoring } from './catch-up';

const manifest = parseModelManifest(
  { manifestVersion: 1, name: 'churn', version: '2.0.0', format: 'layers-model', features: [{ name: 'x', type: 'numeric' }], outputs: [{ name: 'p', min: 0, max: 1 }] },
  'test',
);
const model = {
  manifest,
  score: async (columns: Record<string, Float64Array>, rows: number) => ({ outputs: Float32Array.from(columns['x']!.subarray(0, rows)), rejections: [] }),
  dispose: () => undefined,
} as unknown as LoadedModel;
const serving = { modelVersion: '2.0.0', dataCutoff: 1_000, model };
const POINTER = { at: 5_000, runId: 'run-2' };

function harness(finishedBefore: EpochMs | undefined) {
  const events: FeatureEvent[] = Array.from({ length: 5 }, (_, index) => ({
    model: 'churn',
    entityId: `e${index}`,
    eventId: `ev${index}`,
    eventTime: 2_000,
    numericFeatures: { x: index / 10 },
    categoricalFeatures: {},
    source: { topic: 't', partition: 0, offset: String(index) },
    ingestedAt: 10_000 + index,
  }));
  const reads: EpochMs[] = [];
  const recorded: unknown[] = [];
  const catchUp = new CatchUpScoring({
    masterDataset: {
      latestPerEntityAfter: async (_model, _after, afterEntityId, limit, ingestedSince) => {
        reads.push(ingestedSince);
        return events.filter((event) => event.entityId > afterEntityId && event.ingestedAt >= ingestedSince).slice(0, limit);
      },
    },
    predictions: { insertPredictions: async () => undefined },
    catchUps: { record: async (entry) => void recorded.push(entry), firstFinishedAt: async () => finishedBefore },
    pageSize: 2,
    clock: () => 20_000,
  });
  return { catchUp, reads, recorded };
}

describe('CatchUpScoring', () => {
  it('re-scores every entity with a newer event, page by page, and records that it did', async () => {
    const { catchUp, reads, recorded } = harness(undefined);
    const outcome = await catchUp.run('churn', serving, POINTER, true);
    expect(outcome).toMatchObject({ entities: 5, scored: 5, ingestedSince: 0 });
    expect(reads).toEqual([0, 0, 0]);
    expect(recorded).toEqual([{ model: 'churn', pointerAt: 5_000, runId: 'run-2', modelVersion: '2.0.0', dataCutoff: 1_000, entities: 5, at: 20_000 }]);
  });

  it('looks only at recent events when joining after another member caught up after the same pointer', async () => {
    const { catchUp } = harness(10_003 + CATCH_UP_OVERLAP_MS);
    expect(await catchUp.run('churn', serving, POINTER, true)).toMatchObject({ entities: 2, ingestedSince: 10_003 });
  });

  it('catches up in full after a switch, whatever was recorded', async () => {
    const { catchUp } = harness(10_003 + CATCH_UP_OVERLAP_MS);
    expect(await catchUp.run('churn', serving, POINTER, false)).toMatchObject({ entities: 5, ingestedSince: 0 });
  });
});
