import { stringColumn } from '@platform/columnar';
import { type BatchRunRecord, ENTITY_ID_MAX_BYTES, type ServingPointer } from '@platform/domain';
import { type LoadedModel, parseModelManifest } from '@platform/model-package';
import { parseDeployments } from './deployment';
import { type FeatureSource } from './feature-source';
import { RunLeaseLostError, stableLease } from './run-lock';
import { type RejectedRow, type RunOutputStore } from './run-output';
import { REJECTS_STORED_PER_RUN, RunBatch, type RunBatchDependencies, type RunStage } from './run-batch';

const manifest = parseModelManifest(
  {
    manifestVersion: 1,
    name: 'churn',
    version: '1.0.0',
    format: 'layers-model',
    features: [{ name: 'x', type: 'numeric' }],
    outputs: [{ name: 'p', min: 0, max: 1 }],
  },
  'test',
);

/** In-memory fakes of every port: a source of four rows, one with an id over the cap. */
function harness(errorThreshold: number) {
  const ids = ['a', 'b', 'x'.repeat(ENTITY_ID_MAX_BYTES + 1), 'c'];
  const source: FeatureSource = {
    snapshot: async () => ({ dataCutoff: 500, rowCount: ids.length, shardCount: 1, readPlan: 'base-rows' }),
    async *read() {
      yield { rowCount: ids.length, entityIds: stringColumn(ids), features: { x: Float64Array.of(0.1, 0.2, 0.3, 0.4) }, segments: {} };
    },
  };
  const written: string[] = [];
  const rejects: RejectedRow[] = [];
  const dropped: string[] = [];
  const output: RunOutputStore = {
    writePredictions: async (_model, _run, rows) => {
      for (let row = 0; row < rows.rowCount; row++) {
        written.push(new TextDecoder().decode(rows.entityIds.bytes.subarray(rows.entityIds.offsets[row], rows.entityIds.offsets[row + 1])));
      }
    },
    writeRejects: async (_model, _run, rows) => void rejects.push(...rows),
    writeSegmentAggregates: async () => undefined,
    countPredictions: async () => written.length,
    dropRun: async (runId) => void dropped.push(runId),
    storedRuns: async () => [],
  };
  const records: BatchRunRecord[] = [];
  const pointers: ServingPointer[] = [];
  const model: LoadedModel = {
    manifest,
    packageDir: '/models/churn/1.0.0',
    score: async (columns, rowCount) => ({ outputs: Float32Array.from(columns['x']!.subarray(0, rowCount)), rowCount, rejections: [] }),
    dispose: () => undefined,
  };
  const deps: RunBatchDependencies = {
    source,
    output,
    runs: {
      record: async (run) => void records.push(run),
      get: async (runId) => records.filter((r) => r.runId === runId).at(-1),
      list: async () => [],
    },
    pointers: { append: async (p) => ({ ...p, at: pointers.push({ ...p, at: 0 }) }), current: async () => undefined },
    loadModel: async () => model,
    lock: { acquire: async () => stableLease(async () => undefined) },
    clock: () => 1_000,
    newRunId: () => 'run-1',
  };
  const runBatch = new RunBatch(deps);
  const deployment = parseDeployments([{ model: 'churn', source: { kind: 'table', table: 't' }, errorThreshold }], 'test')[0]!;
  return { deps, runBatch, deployment, written, rejects, dropped, records, pointers };
}

describe('RunBatch', () => {
  it('rejects an id over the cap instead of scoring it, and fails when rejects exceed the threshold', async () => {
    const { runBatch, deployment, written, rejects, dropped, records, pointers } = harness(0);
    const result = await runBatch.execute({ deployment, actor: 'test' });
    expect(written).toEqual(['a', 'b', 'c']);
    expect(rejects).toEqual([expect.objectContaining({ reason: 'id-too-long', feature: '' })]);
    expect(result.published).toBe(false);
    expect(result.run.error).toBe('verification failed: reject-rate');
    expect(result.report.rows).toEqual({ source: 4, read: 4, scored: 3, rejected: 1 });
    expect(dropped).toEqual(['run-1']);
    expect(pointers).toEqual([]);
    expect(records.map((r) => r.status)).toEqual(['running', 'verifying', 'failed']);
    expect(new Set(records.map((r) => r.updatedAt)).size).toBe(3);
  });

  it('publishes with the reject count in the report when under the threshold', async () => {
    const { runBatch, deployment, pointers, records } = harness(0.25);
    const result = await runBatch.execute({ deployment, actor: 'alice' });
    expect(result.published).toBe(true);
    expect(result.report.rejectsByReason).toEqual({ 'id-too-long': 1 });
    expect(pointers).toEqual([expect.objectContaining({ model: 'churn', runId: 'run-1', dataCutoff: 500, actor: 'alice', action: 'publish' })]);
    expect(records.at(-1)).toMatchObject({ status: 'published', rows: 4 });
  });

  it('marks a run that breaks mid-way failed, drops its partitions and rethrows', async () => {
    const { deps, deployment, dropped, records } = harness(0);
    const broken = new RunBatch({
      ...deps,
      source: {
        snapshot: async () => ({ dataCutoff: 0, rowCount: 1, shardCount: 1, readPlan: 'base-rows' }),
        // eslint-disable-next-line require-yield
        async *read() {
          throw new Error('engine went away');
        },
      },
    });
    await expect(broken.execute({ deployment, actor: 'test' })).rejects.toThrow('engine went away');
    expect(records.at(-1)).toMatchObject({ status: 'failed', error: 'Error: engine went away' });
    expect(dropped).toEqual(['run-1']);
  });

  it('reports its start and the busy time of each stage', async () => {
    const { runBatch, deployment } = harness(0.25);
    const started: string[] = [];
    const stages = new Set<RunStage>();
    await runBatch.execute({ deployment, actor: 'test', onStarted: (run) => started.push(`${run.runId} ${run.status}`), onStageTimed: (stage) => stages.add(stage) });
    expect(started).toEqual(['run-1 running']);
    expect([...stages].sort()).toEqual(['publish', 'read', 'score', 'verify', 'write']);
  });

  it('stops unpublished when its lease is lost mid-run', async () => {
    const { deps, deployment, dropped, pointers, records } = harness(0.25);
    const lost = new AbortController();
    const run = new RunBatch({
      ...deps,
      lock: { acquire: async () => ({ lost: lost.signal, release: async () => undefined }) },
      source: {
        snapshot: async () => ({ dataCutoff: 0, rowCount: 2, shardCount: 1, readPlan: 'base-rows' }),
        async *read() {
          yield { rowCount: 1, entityIds: stringColumn(['a']), features: { x: Float64Array.of(0.1) }, segments: {} };
          lost.abort('group rebalanced');
          yield { rowCount: 1, entityIds: stringColumn(['b']), features: { x: Float64Array.of(0.2) }, segments: {} };
        },
      },
    });
    await expect(run.execute({ deployment, actor: 'test' })).rejects.toThrow(RunLeaseLostError);
    expect(records.at(-1)).toMatchObject({ status: 'failed', error: expect.stringContaining('group rebalanced') });
    expect(dropped).toEqual(['run-1']);
    expect(pointers).toEqual([]);
  });

  it('stores at most REJECTS_STORED_PER_RUN rejected rows but counts every one', async () => {
    const { deps, deployment, rejects } = harness(1);
    const rows = REJECTS_STORED_PER_RUN + 5;
    const ids = Array.from({ length: rows }, (_, row) => `${row}`.padEnd(ENTITY_ID_MAX_BYTES + 1, 'x'));
    const run = new RunBatch({
      ...deps,
      source: {
        snapshot: async () => ({ dataCutoff: 0, rowCount: rows, shardCount: 1, readPlan: 'base-rows' }),
        async *read() {
          yield { rowCount: rows, entityIds: stringColumn(ids), features: { x: new Float64Array(rows) }, segments: {} };
        },
      },
    });
    const result = await run.execute({ deployment, actor: 'test' });
    expect(result.report.rows.rejected).toBe(rows);
    expect(rejects).toHaveLength(REJECTS_STORED_PER_RUN);
  });
});
