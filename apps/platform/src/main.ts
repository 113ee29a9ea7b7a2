import { ClickHouseEngine, runMigrations } from '@platform/clickhouse-store';
import pino from 'pino';
import { loadPlatformConfig } from './platform-config';
import { runStorageSmoke } from './storage-smoke';

/**
 * `npm start` until the batch, speed and query layers exist: opens the embedded engine (chDB, no
 * servers), applies migrations and runs the storage smoke, then says what it did.
 */
async function main(): Promise<void> {
  const logger = pino({ name: 'platform' });
  const { engine: engineConfig } = loadPlatformConfig();
  const rows = Number(process.env['SMOKE_ROWS'] ?? 1_000_000);
  const engine = await ClickHouseEngine.open(engineConfig);
  try {
    const migrations = await runMigrations(engine);
    logger.info({ engine: engineConfig, ...migrations }, 'engine ready');
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
