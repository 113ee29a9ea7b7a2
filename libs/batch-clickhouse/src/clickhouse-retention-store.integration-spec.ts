import { type RetentionWindows, SweepRetention } from '@platform/batch-domain';
import { AuditLogRepository, BatchRunRepository, SpeedPredictionRepository, sql } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { type BatchRunRecord } from '@platform/domain';
import { ClickHouseRetentionStore } from './clickhouse-retention-store';
import { ClickHouseRunOutputStore } from './clickhouse-run-output-store';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 23, 12);
const WINDOWS: RetentionWindows = { speedRowsMs: 7 * DAY, failedRunRejectsMs: 14 * DAY, auditMs: 365 * DAY };
const midMonth = (year: number, month: number) => Date.UTC(year, month - 1, 15, 12);

describe.each(ENGINE_KINDS)('retention by partition on %s', (kind) => {
  const engine = useTestEngine(kind);

  const run = (runId: string, status: BatchRunRecord['status'], finishedAt: number, dataCutoff: number): BatchRunRecord => ({
    runId,
    model: 'churn',
    modelVersion: '1.0.0',
    status,
    startedAt: finishedAt - 1_000,
    finishedAt,
    updatedAt: finishedAt,
    rows: 1,
    dataCutoff,
    report: '',
    error: '',
  });

  const speedRow = (model: string, eventId: string, eventTime: number) => ({
    model,
    modelVersion: '1.0.0',
    entityId: `e-${eventId}`,
    eventId,
    eventTime,
    outputs: [0.5],
    scoredAt: eventTime,
    source: { topic: 'events', partition: 0, offset: '0' },
  });

  it('drops superseded speed months, old failed runs\' rejects and old audit months, and nothing else', async () => {
    const runs = new BatchRunRepository(engine());
    const cutoff = Date.UTC(2026, 9, 31, 12); // the kept run read up to late October
    await runs.record(run('run-1', 'published', NOW - 2 * DAY, cutoff));
    await runs.record(run('run-2', 'failed', NOW - 20 * DAY, 0));
    await runs.record(run('run-3', 'failed', NOW - DAY, 0));
    const batchPredictions = engine().table('batch_predictions');
    await engine().command(sql`INSERT INTO ${batchPredictions} (model, run_id, entity_id, outputs, scored_at) VALUES ('churn', 'run-1', 'e', [0.5], 1)`, 'store run-1');
    const rejects = engine().table('batch_rejects');
    for (const runId of ['run-1', 'run-2', 'run-3']) {
      await engine().command(sql`INSERT INTO ${rejects} (model, run_id, entity_id, reason, feature) VALUES ('churn', ${runId}, 'bad', 'missing', 'x')`, 'reject');
    }
    await new SpeedPredictionRepository(engine()).insert([
      speedRow('churn', 'sep', midMonth(2026, 9)), // superseded by run-1 and old: dropped
      speedRow('churn', 'oct', midMonth(2026, 10)), // superseded, but fraud has rows in October too
      speedRow('fraud', 'oct-fraud', midMonth(2026, 10)), // fraud has no published run: kept
      speedRow('churn', 'nov', midMonth(2026, 11)), // after run-1's cut-off: served
    ]);
    const audit = new AuditLogRepository(engine());
    await audit.append({ at: midMonth(2025, 10), actor: 'ops', action: 'run.start', model: 'churn', target: '', outcome: 'accepted', detail: '' });
    await audit.append({ at: midMonth(2026, 11), actor: 'ops', action: 'run.start', model: 'churn', target: '', outcome: 'accepted', detail: '' });

    const sweep = new SweepRetention({ store: new ClickHouseRetentionStore(engine()), runs, output: new ClickHouseRunOutputStore(engine()), clock: () => NOW });
    expect(await sweep.sweep(WINDOWS)).toEqual({ speedPartitions: ['202609'], rejectRuns: ['run-2'], auditPartitions: ['202510'] });

    const eventIds = await engine().queryRows<{ event_id: string }>(`SELECT event_id FROM ${engine().table('speed_predictions')} ORDER BY event_id`, 'speed rows');
    expect(eventIds.map((row) => row.event_id)).toEqual(['nov', 'oct', 'oct-fraud']);
    const rejectRuns = await engine().queryRows<{ run_id: string }>(`SELECT DISTINCT run_id FROM ${rejects} ORDER BY run_id`, 'reject runs');
    expect(rejectRuns.map((row) => row.run_id)).toEqual(['run-1', 'run-3']);
    const auditRows = await engine().queryRows<{ n: string }>(`SELECT count() AS n FROM ${engine().table('audit_log')}`, 'audit rows');
    expect(auditRows[0]!.n).toBe('1');
    // A second sweep finds nothing more to drop.
    expect(await sweep.sweep(WINDOWS)).toEqual({ speedPartitions: [], rejectRuns: [], auditPartitions: [] });
  });
});
