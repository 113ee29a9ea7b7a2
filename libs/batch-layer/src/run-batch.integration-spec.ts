import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Deployment, parseDeployments } from '@platform/batch-domain';
import { MergedPredictionRepository, ModelRegistryRepository, ServingPointerRepository } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { trainChurnModel, writeChurnDemoSource, writeChurnModelPackage } from '@platform/demo-churn';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { createRollbackRun, createRunBatch } from './batch-runner';
import { FileRunLock } from './file-run-lock';

const SOURCE_ROWS = 30_000;

function deployment(overrides: object = {}): Deployment {
  return parseDeployments(
    [{ model: 'churn', source: { kind: 'snapshot', table: 'churn_features' }, segmentColumns: ['region'], chunkRows: 8_192, runsToKeep: 2, ...overrides }],
    'test',
  )[0]!;
}

describe.each(ENGINE_KINDS)('batch runs on %s', (kind) => {
  const engine = useTestEngine(kind);
  let registry: ModelRegistry;
  let runtime: TfjsModelRuntime;
  const lock = new FileRunLock(mkdtempSync(join(tmpdir(), 'run-locks-')));

  beforeAll(async () => {
    await writeChurnDemoSource(engine(), { table: engine().table('churn_features').text, rows: SOURCE_ROWS, seed: 11, updatedAt: 1_000 });
    const trained = await trainChurnModel({
      version: '1.0.0',
      seed: 3,
      trainRows: 20_000,
      holdoutRows: 5_000,
      batchSchedule: [1_024, 2_048],
      baselineBatchSchedule: [4_096],
      hiddenUnits: [16],
    });
    const packageDir = join(mkdtempSync(join(tmpdir(), 'churn-model-')), 'churn');
    await writeChurnModelPackage(packageDir, trained);
    trained.model.dispose();
    registry = new ModelRegistry(new ModelRegistryRepository(engine()), new DirectoryModelPackageStore(mkdtempSync(join(tmpdir(), 'store-'))));
    await registry.register(packageDir, 'test');
    await registry.promote('churn', '1.0.0', 'test');
    runtime = await TfjsModelRuntime.create();
  }, 120_000);

  it('scores every entity, verifies, publishes, and the merged view serves the run', async () => {
    const progress: number[] = [];
    const result = await createRunBatch({ engine: engine(), registry, runtime, lock }).execute({
      deployment: deployment(),
      actor: 'test',
      onProgress: (p) => progress.push(p.rowsRead),
    });
    expect(result.published).toBe(true);
    expect(result.run).toMatchObject({ status: 'published', rows: SOURCE_ROWS, dataCutoff: 1_000, modelVersion: '1.0.0' });
    expect(result.report.rows).toEqual({ source: SOURCE_ROWS, read: SOURCE_ROWS, scored: SOURCE_ROWS, rejected: 0 });
    expect(progress.at(-1)).toBe(SOURCE_ROWS);
    expect(progress.length).toBeGreaterThan(1);

    expect(await new ServingPointerRepository(engine()).current('churn')).toMatchObject({ runId: result.run.runId, action: 'publish' });
    const served = await new MergedPredictionRepository(engine()).get('churn', ['cust-0000000000', 'cust-0000029999', 'nobody']);
    expect(served.map((row) => [row.entityId, row.source, row.runId])).toEqual(
      expect.arrayContaining([
        ['cust-0000000000', 'batch', result.run.runId],
        ['cust-0000029999', 'batch', result.run.runId],
      ]),
    );
    expect(served).toHaveLength(2);
    const segments = await engine().queryRows<{ segment: string; rows: string }>(
      `SELECT segment_values[1] AS segment, row_count AS rows FROM ${engine().table('segment_aggregates')} WHERE run_id = '${result.run.runId}' ORDER BY segment`,
      'read segment aggregates',
    );
    expect(segments.map((s) => s.segment)).toEqual(['central', 'east', 'north', 'south', 'west']);
    expect(segments.reduce((sum, s) => sum + Number(s.rows), 0)).toBe(SOURCE_ROWS);
  });

  it('publishes a rerun of the same data (no drift) and drops runs beyond the kept window', async () => {
    const runBatch = createRunBatch({ engine: engine(), registry, runtime, lock });
    const second = await runBatch.execute({ deployment: deployment(), actor: 'test' });
    expect(second.published).toBe(true);
    const psi = second.report.gates.find((gate) => gate.name === 'output-psi:churn_probability');
    expect(psi?.observed).toBeLessThan(0.01);
    const third = await runBatch.execute({ deployment: deployment(), actor: 'test' });
    expect(third.published).toBe(true);
    expect(third.droppedRuns).toHaveLength(1);

    // Rollback serves the second run again; the first is gone (outside the kept window).
    const rollback = createRollbackRun({ engine: engine() });
    expect(await rollback.execute('churn', 'operator')).toMatchObject({ runId: second.run.runId, action: 'rollback', actor: 'operator' });
    const served = await new MergedPredictionRepository(engine()).get('churn', ['cust-0000000001']);
    expect(served[0]).toMatchObject({ runId: second.run.runId, source: 'batch' });
    await expect(rollback.execute('churn', 'operator')).rejects.toThrow(/no kept published run older than/);
  });

  it('fails a drifted run, keeps its report, and leaves the previous run serving', async () => {
    const pointers = new ServingPointerRepository(engine());
    const before = await pointers.current('churn');
    // Only two-year contracts: a very different score distribution from the published run.
    const drifted = await createRunBatch({ engine: engine(), registry, runtime, lock }).execute({
      deployment: deployment({ filter: "contract_type = 'two_year'" }),
      actor: 'test',
    });
    expect(drifted.published).toBe(false);
    expect(drifted.run.status).toBe('failed');
    expect(drifted.run.error).toMatch(/verification failed: .*output-psi:churn_probability/);
    expect(JSON.parse(drifted.run.report)).toMatchObject({ passed: false, runId: drifted.run.runId });
    expect(await pointers.current('churn')).toEqual(before);
    const [left] = await engine().queryRows<{ rows: string }>(
      `SELECT count() AS rows FROM ${engine().table('batch_predictions')} WHERE run_id = '${drifted.run.runId}'`,
      'count drifted rows',
    );
    expect(left?.rows).toBe('0');
  });
});
