import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseEngine, ModelRegistryRepository, quoteString } from '@platform/clickhouse-store';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { CHURN_MODEL_NAME } from './churn-manifest';
import { buildChurnModelPackage } from './churn-model-package';
import { writeChurnDemoSource } from './churn-demo-source';

export const CHURN_DEMO_TABLE = 'churn_features';
const DEMO_SEED = 42;
const DEMO_VERSION = '1.0.0';

/** pino-compatible. */
interface SetupLog {
  info(fields: Record<string, unknown>, message: string): void;
}

export interface ChurnDemoSetupOptions {
  readonly engine: ClickHouseEngine;
  readonly modelStoreDir: string;
  /** Customers to generate when the source table is empty or absent. */
  readonly sourceRows: number;
  readonly log: SetupLog;
}

export interface ChurnDemoSetupReport {
  /** The version trained and promoted now, or null when the model already had an active version. */
  readonly trainedVersion: string | null;
  /** Rows generated now (0 when the source already had rows). */
  readonly sourceRowsWritten: number;
}

/**
 * What the embedded quick start needs before its first run, done once: the demo churn model
 * trained, registered and promoted when the model has no active version, and the demo source
 * filled when it is empty. An operator's own model or data is never replaced.
 */
export async function ensureChurnDemo({ engine, modelStoreDir, sourceRows, log }: ChurnDemoSetupOptions): Promise<ChurnDemoSetupReport> {
  const registry = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(modelStoreDir));
  let trainedVersion: string | null = null;
  if ((await registry.active(CHURN_MODEL_NAME)) === undefined) {
    log.info({ model: CHURN_MODEL_NAME, version: DEMO_VERSION }, 'training the demo model (once, about 30 s on 2 cores)');
    const workDir = await mkdtemp(join(tmpdir(), 'churn-demo-'));
    try {
      const packageDir = join(workDir, 'package');
      const report = await buildChurnModelPackage(packageDir, { version: DEMO_VERSION, seed: DEMO_SEED });
      await registry.register(packageDir, 'demo-setup');
      await registry.promote(CHURN_MODEL_NAME, DEMO_VERSION, 'demo-setup');
      log.info({ model: CHURN_MODEL_NAME, version: DEMO_VERSION, auc: report.modelAuc, seconds: report.totalSeconds }, 'demo model registered and promoted');
      trainedVersion = DEMO_VERSION;
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  }
  let sourceRowsWritten = 0;
  if ((await sourceRowCount(engine)) === 0) {
    log.info({ table: CHURN_DEMO_TABLE, rows: sourceRows }, 'generating the demo source');
    sourceRowsWritten = await writeChurnDemoSource(engine, { table: engine.table(CHURN_DEMO_TABLE).text, rows: sourceRows, seed: DEMO_SEED, updatedAt: Date.now() });
  }
  return { trainedVersion, sourceRowsWritten };
}

async function sourceRowCount(engine: ClickHouseEngine): Promise<number> {
  const [tables] = await engine.queryRows<{ n: string }>(
    `SELECT count() AS n FROM system.tables WHERE database = ${quoteString(engine.database)} AND name = ${quoteString(CHURN_DEMO_TABLE)}`,
    'find demo source',
  );
  if (Number(tables?.n ?? 0) === 0) return 0;
  const [rows] = await engine.queryRows<{ n: string }>(`SELECT count() AS n FROM ${engine.table(CHURN_DEMO_TABLE).text}`, 'count demo source');
  return Number(rows?.n ?? 0);
}
