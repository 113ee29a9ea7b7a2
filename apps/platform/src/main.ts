import { join } from 'node:path';
import { ClickHouseEngine, runMigrations } from '@platform/clickhouse-store';
import pino from 'pino';
import { runStorageSmoke } from './storage-smoke';

/**
 * `npm start` until the batch, speed and query layers exist: opens the embedded engine (chDB, no
 * servers), applies migrations and runs the storage smoke, then says what it did.
 */
async function main(): Promise<void> {
  const logger = pino({ name: 'platform' });
  const path = process.env['CHDB_PATH'] ?? join(process.cwd(), '.run', 'chdb');
  const database = process.env['CLICKHOUSE_DATABASE'] ?? 'platform';
  const rows = Number(process.env['SMOKE_ROWS'] ?? 1_000_000);
  const engine = await ClickHouseEngine.open({ kind: 'chdb', path, database });
  try {
    const migrations = await runMigrations(engine);
    logger.info({ path, database, ...migrations }, 'embedded engine ready');
    const report = await runStorageSmoke(engine, rows);
    logger.info(report, 'storage smoke done');
  } finally {
    await engine.close();
  }
}

main().catch((error: unknown) => {
  pino({ name: 'platform' }).fatal({ err: error }, 'platform failed');
  process.exitCode = 1;
});
