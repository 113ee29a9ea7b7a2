import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINE_KINDS, useTestEngine } from '../testing';
import { loadMigrations, MigrationChecksumError, runMigrations } from './migrations';

describe.each(ENGINE_KINDS)('migrations on %s', (kind) => {
  const engine = useTestEngine(kind, { migrate: false });

  it('applies every migration once, and a second run applies nothing', async () => {
    const migrations = loadMigrations();
    const first = await runMigrations(engine(), migrations);
    expect(first.applied).toEqual(migrations.map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`));

    const second = await runMigrations(engine(), migrations);
    expect(second).toEqual({ applied: [], alreadyApplied: migrations.length });

    const tables = await engine().queryRows<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = '${engine().database}' ORDER BY name`,
      'list tables',
    );
    expect(tables.map((t) => t.name)).toEqual([
      'audit_log',
      'batch_predictions',
      'batch_rejects',
      'batch_runs',
      'feature_events',
      'model_registry',
      'predictions_latest',
      'schema_migrations',
      'segment_aggregates',
      'serving_pointer',
      'speed_catch_ups',
      'speed_predictions',
    ]);
  });

  it('lets two processes migrate one database at once (ADD COLUMN included, which 18.16 cannot make IF NOT EXISTS)', async () => {
    const migrations = loadMigrations();
    const reports = await Promise.all([runMigrations(engine(), migrations), runMigrations(engine(), migrations)]);
    expect(reports.every((report) => report.applied.length + report.alreadyApplied === migrations.length)).toBe(true);
    // An interrupted run that added the column but did not record its migration is completed, not refused.
    await engine().command(`ALTER TABLE ${engine().table('schema_migrations')} DELETE WHERE version = 12`, 'forget 0012');
    await waitForMutations();
    expect((await runMigrations(engine(), migrations)).applied).toEqual(['0012_batch_prediction_segments']);
  });

  async function waitForMutations(): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      const rows = await engine().queryRows<{ left: string }>(
        `SELECT count() AS left FROM ${engine().table('schema_migrations')} WHERE version = 12`,
        'count 0012 records',
      );
      if (Number(rows[0]!.left) === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the DELETE mutation did not finish');
  }
});

describe.each(ENGINE_KINDS)('migration checksums on %s', (kind) => {
  const engine = useTestEngine(kind, { migrate: false });

  it('refuses to continue when an applied migration was edited', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'migrations-'));
    writeFileSync(join(dir, '0001_first.sql'), 'CREATE TABLE IF NOT EXISTS {database}.edited (x UInt8) ENGINE = Memory;\n');
    await runMigrations(engine(), loadMigrations(dir));
    writeFileSync(join(dir, '0001_first.sql'), 'CREATE TABLE IF NOT EXISTS {database}.edited (x UInt16) ENGINE = Memory;\n');
    await expect(runMigrations(engine(), loadMigrations(dir))).rejects.toThrow(MigrationChecksumError);
  });
});
