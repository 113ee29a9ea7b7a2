import { type BatchRunRecord } from '@platform/domain';
import { RecoverInterruptedRuns } from './recover-interrupted-runs';
import { type RunOutputStore } from './run-output';
import { stableLease } from './run-lock';

function run(runId: string, status: BatchRunRecord['status']): BatchRunRecord {
  return { runId, model: 'churn', modelVersion: '1.0.0', status, startedAt: 1, finishedAt: 0, updatedAt: 5, rows: 0, dataCutoff: 0, report: '', error: '' };
}

describe('RecoverInterruptedRuns', () => {
  it('marks runs left running or verifying failed and drops their partitions, under the lock', async () => {
    const recorded: BatchRunRecord[] = [];
    const dropped: string[] = [];
    const events: string[] = [];
    const recover = new RecoverInterruptedRuns({
      runs: {
        record: async (r) => void recorded.push(r),
        get: async () => undefined,
        list: async () => [run('r3', 'running'), run('r2', 'verifying'), run('r1', 'published'), run('r0', 'failed')],
      },
      output: { dropRun: async (id: string) => void dropped.push(id) } as unknown as RunOutputStore,
      lock: {
        acquire: async (model) => {
          events.push(`lock ${model}`);
          return stableLease(async () => void events.push('release'));
        },
      },
      clock: () => 3,
    });
    const recovered = await recover.execute('churn');
    expect(recovered.map((r) => [r.runId, r.status, r.updatedAt])).toEqual([
      ['r3', 'failed', 6],
      ['r2', 'failed', 6],
    ]);
    expect(recovered[0]!.error).toBe('interrupted while running: the process stopped before the run finished');
    expect(dropped).toEqual(['r3', 'r2']);
    expect(recorded).toHaveLength(2);
    expect(events).toEqual(['lock churn', 'release']);
  });
});
