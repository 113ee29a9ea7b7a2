import { type BatchRunResult, parseDeployments, RunCancelledError, RunInProgressError, type RunBatchCommand } from '@platform/batch-domain';
import { type AuditEntry, type BatchRunRecord } from '@platform/domain';
import { BatchOperations, type OperationsLog, RunFailedError, UnknownDeploymentError } from './batch-operations';

const deployment = parseDeployments([{ model: 'churn', source: { kind: 'table', table: 't' } }], 'test')[0]!;

function record(status: BatchRunRecord['status']): BatchRunRecord {
  return { runId: 'run-1', model: 'churn', modelVersion: '1.0.0', status, startedAt: 1, finishedAt: 0, updatedAt: 1, rows: 0, dataCutoff: 0, report: '', error: '' };
}

const silent: OperationsLog = { info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

/** BatchOperations over a scripted RunBatch: `execute` does what the test's `script` says. */
function operationsWith(script: (command: RunBatchCommand) => Promise<BatchRunResult>) {
  const audit: Omit<AuditEntry, 'at'>[] = [];
  const events: string[] = [];
  const operations = new BatchOperations({
    deployments: [deployment],
    runBatch: { execute: script },
    rollbackRun: { execute: async () => ({ model: 'churn', runId: 'run-0', modelVersion: '1', dataCutoff: 0, action: 'rollback', actor: 'a', at: 2 }) },
    recoverInterruptedRuns: { execute: async () => [] },
    retention: { sweep: async () => ({ speedPartitions: [], rejectRuns: [], auditPartitions: [] }) },
    retentionWindows: { speedRowsMs: 1, failedRunRejectsMs: 1, auditMs: 1 },
    runs: { record: async () => undefined, get: async () => ({ ...record('failed'), error: 'Error: disk full' }), list: async () => [] },
    pointers: { append: async () => undefined as never, current: async () => undefined },
    audit: { append: async (entry) => (audit.push(entry), { ...entry, at: entry.at ?? 0 }), list: async () => [] },
    log: silent,
    observer: {
      started: (run) => events.push(`started ${run.runId}`),
      progressed: (_model, delta) => events.push(`+${delta}`),
      stageTimed: () => undefined,
      finished: (_model, outcome) => events.push(`finished ${outcome}`),
    },
  });
  return { operations, audit, events };
}

const published = (): BatchRunResult => ({ run: record('published'), report: { passed: true } as BatchRunResult['report'], published: true, droppedRuns: [] });

describe('BatchOperations', () => {
  it('answers a start once the run has its record, follows it to the end and audits who started it', async () => {
    let finish!: () => void;
    const { operations, audit, events } = operationsWith(async (command) => {
      command.onStarted?.(record('running'));
      command.onProgress?.({ runId: 'run-1', rowsRead: 0, rowsTotal: 10 });
      command.onProgress?.({ runId: 'run-1', rowsRead: 4, rowsTotal: 10 });
      await new Promise<void>((resolve) => (finish = resolve));
      return published();
    });
    const run = await operations.startRun('churn', 'alice', 'api');
    expect(run.status).toBe('running');
    expect(operations.progress('churn')).toMatchObject({ rowsRead: 4, rowsTotal: 10, estimate: { percent: 40 } });
    expect(audit).toEqual([{ actor: 'alice', action: 'run.start', model: 'churn', target: 'run-1', outcome: 'accepted', detail: '{"trigger":"api"}' }]);
    finish();
    await operations.shutdown('test');
    expect(operations.progress('churn')).toBeUndefined();
    expect(events).toEqual(['started run-1', '+0', '+4', 'finished published']);
    expect(audit[1]).toMatchObject({ actor: 'alice', action: 'run.publish', target: 'run-1', outcome: 'accepted' });
  });

  it('refuses a start while the model runs, with an audit row saying why', async () => {
    const { operations, audit } = operationsWith(async () => {
      throw new RunInProgressError('a run of model churn is already under way');
    });
    await expect(operations.startRun('churn', 'bob', 'api')).rejects.toThrow(RunInProgressError);
    expect(audit).toEqual([expect.objectContaining({ actor: 'bob', outcome: 'rejected', target: '', detail: expect.stringContaining('already under way') })]);
  });

  it('names the deployed models when asked for another, and audits the refusal', async () => {
    const { operations, audit } = operationsWith(async () => published());
    await expect(operations.startRun('fraud', 'a', 'api')).rejects.toThrow(new UnknownDeploymentError('no deployment of model "fraud" (deployed: churn)'));
    await expect(operations.rollback('fraud', 'a')).rejects.toThrow(UnknownDeploymentError);
    expect(audit.map(({ action, model, outcome }) => `${action} ${model} ${outcome}`)).toEqual(['run.start fraud rejected', 'run.rollback fraud rejected']);
  });

  it('audits a start that fails on a fault (not a refusal) as failed', async () => {
    const { operations, audit } = operationsWith(async () => {
      throw new Error('connect ECONNREFUSED');
    });
    await expect(operations.startRun('churn', 'a', 'api')).rejects.toThrow('ECONNREFUSED');
    expect(audit).toEqual([expect.objectContaining({ action: 'run.start', outcome: 'failed' })]);
  });

  it('reports a run that broke after starting with the error it recorded', async () => {
    const { operations, events, audit } = operationsWith(async (command) => {
      command.onStarted?.(record('running'));
      throw new Error('disk full');
    });
    await expect(operations.runToCompletion('churn', 'cron', 'schedule')).rejects.toThrow(new RunFailedError('run run-1 of model churn failed: Error: disk full'));
    expect(events.at(-1)).toBe('finished failed');
    expect(audit.at(-1)).toMatchObject({ actor: 'cron', action: 'run.publish', outcome: 'failed', detail: 'Error: disk full' });
  });

  it('reports where a followed run ended, even when it ends between two progress ticks', async () => {
    const { operations } = operationsWith(async (command) => {
      command.onStarted?.(record('running'));
      command.onProgress?.({ runId: 'run-1', rowsRead: 10, rowsTotal: 10 });
      return published();
    });
    const seen: string[] = [];
    await operations.runToCompletion('churn', 'cli', 'cli', ({ rowsRead, rowsTotal, estimate }) => seen.push(`${estimate.percent}% ${rowsRead}/${rowsTotal}`));
    expect(seen.at(-1)).toBe('100% 10/10');
  });

  it('cancels runs in flight on shutdown and waits for them to stop', async () => {
    const { operations } = operationsWith(async (command) => {
      command.onStarted?.(record('running'));
      await new Promise((resolve) => command.signal?.addEventListener('abort', resolve));
      throw new RunCancelledError(String(command.signal?.reason));
    });
    await operations.startRun('churn', 'a', 'api');
    await operations.shutdown('SIGTERM');
    expect(operations.progress('churn')).toBeUndefined();
  });
});
