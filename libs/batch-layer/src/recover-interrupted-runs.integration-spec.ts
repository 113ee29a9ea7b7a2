import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseRunOutputStore } from '@platform/batch-clickhouse';
import { BatchRunRepository } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { stringColumn } from '@platform/columnar';
import { createRecoverInterruptedRuns } from './batch-runner';
import { FileRunLock } from './file-run-lock';

describe.each(ENGINE_KINDS)('recovery of interrupted runs on %s', (kind) => {
  const engine = useTestEngine(kind);

  it('fails a run a killed process left running and drops what it had written', async () => {
    const runs = new BatchRunRepository(engine());
    const output = new ClickHouseRunOutputStore(engine());
    await runs.record({ runId: 'killed', model: 'churn', modelVersion: '1.0.0', status: 'running', startedAt: 1, finishedAt: 0, updatedAt: 1, rows: 0, dataCutoff: 0, report: '', error: '' });
    await output.writePredictions('churn', 'killed', { rowCount: 2, entityIds: stringColumn(['a', 'b']), outputs: Float32Array.of(0.5, 0.25), outputCount: 1, segmentValues: [] }, 1);

    const lock = new FileRunLock(mkdtempSync(join(tmpdir(), 'locks-')));
    const recovered = await createRecoverInterruptedRuns({ engine: engine(), lock }).execute('churn');
    expect(recovered.map((run) => run.runId)).toEqual(['killed']);
    expect(await runs.get('killed')).toMatchObject({ status: 'failed', error: expect.stringMatching(/^interrupted while running/) });
    expect(await output.countPredictions('killed')).toBe(0);
    expect(await createRecoverInterruptedRuns({ engine: engine(), lock }).execute('churn')).toEqual([]);
  });
});
