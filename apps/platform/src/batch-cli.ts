/**
 * The batch layer from the command line (the embedded chDB unless CLICKHOUSE_URL is set):
 *
 *   npm run batch -- demo-data [--rows 1000000] [--seed 42]   fill the churn demo source table
 *   npm run batch -- run --model churn                        one run: score, verify, publish
 *   npm run batch -- runs --model churn                       the model's runs, newest first
 *   npm run batch -- rollback --model churn                   serve the previous kept run again
 *
 * Deployments come from DEPLOYMENTS_FILE (default config/deployments.json). `run` shows progress
 * (rows, rate, ETA) on stderr and exits 1 when verification fails; every command exits 2 on bad
 * usage and 1 when the platform refuses (with the reason).
 */
import { readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createRecoverInterruptedRuns, createRollbackRun, createRunBatch, FileRunLock } from '@platform/batch-layer';
import { type Deployment, parseDeployments, type RunProgress } from '@platform/batch-domain';
import { summarizeReport } from '@platform/batch-verification';
import { BatchRunRepository, type ClickHouseEngine, ModelRegistryRepository } from '@platform/clickhouse-store';
import { writeChurnDemoSource } from '@platform/demo-churn';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { type PlatformConfig } from './platform-config';
import { runStoreCommand, UsageError } from './store-command';

const USAGE = 'usage: batch demo-data [--rows N] [--seed S] | run --model M | runs --model M | rollback --model M';

function progressLine(startedAt: number): (progress: RunProgress) => void {
  return ({ runId, rowsRead, rowsTotal }) => {
    const seconds = (performance.now() - startedAt) / 1000;
    const rate = rowsRead / Math.max(seconds, 1e-3);
    const eta = rate > 0 ? Math.max(0, (rowsTotal - rowsRead) / rate) : 0;
    const percent = rowsTotal > 0 ? Math.floor((100 * rowsRead) / rowsTotal) : 100;
    process.stderr.write(`\r${runId} ${percent}% ${rowsRead}/${rowsTotal} rows, ${Math.round(rate)} rows/s, ETA ${eta.toFixed(0)} s   `);
  };
}

async function deploymentOf(config: PlatformConfig, model: string | undefined): Promise<Deployment> {
  if (model === undefined) throw new UsageError('--model is required');
  const deployments = parseDeployments(JSON.parse(await readFile(config.deploymentsFile, 'utf8')), config.deploymentsFile);
  const deployment = deployments.find((d) => d.model === model);
  if (deployment === undefined) throw new UsageError(`${config.deploymentsFile} deploys no model ${model}`);
  return deployment;
}

async function execute(config: PlatformConfig, engine: ClickHouseEngine, command: string | undefined, options: Record<string, string | undefined>): Promise<number> {
  const actor = userInfo().username;
  const lock = new FileRunLock(config.runLockDir);
  switch (command) {
    case 'demo-data': {
      const rows = Number(options['rows'] ?? 1_000_000);
      const started = performance.now();
      const written = await writeChurnDemoSource(engine, {
        table: engine.table('churn_features').text,
        rows,
        seed: Number(options['seed'] ?? 42),
        updatedAt: Date.now(),
        onProgress: (n) => process.stderr.write(`\rchurn_features: ${n}/${rows} rows`),
      });
      process.stdout.write(`\n${JSON.stringify({ table: 'churn_features', rows: written, seconds: (performance.now() - started) / 1000 })}\n`);
      return 0;
    }
    case 'run': {
      const deployment = await deploymentOf(config, options['model']);
      const recovered = await createRecoverInterruptedRuns({ engine, lock }).execute(deployment.model);
      for (const run of recovered) process.stderr.write(`recovered interrupted run ${run.runId}: marked failed, partitions dropped\n`);
      const registry = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(config.modelStoreDir));
      const runtime = await TfjsModelRuntime.create();
      const result = await createRunBatch({ engine, registry, runtime, lock }).execute({
        deployment,
        actor,
        onProgress: progressLine(performance.now()),
      });
      process.stderr.write('\n');
      process.stdout.write(`${summarizeReport(result.report).join('\n')}\n`);
      process.stdout.write(`${JSON.stringify({ runId: result.run.runId, status: result.run.status, rows: result.run.rows, published: result.published, droppedRuns: result.droppedRuns })}\n`);
      return result.published ? 0 : 1;
    }
    case 'runs': {
      const deployment = await deploymentOf(config, options['model']);
      const runs = await new BatchRunRepository(engine).list(deployment.model);
      process.stdout.write(`${JSON.stringify(runs.map(({ report, ...run }) => ({ ...run, reportBytes: report.length })), null, 2)}\n`);
      return 0;
    }
    case 'rollback': {
      const deployment = await deploymentOf(config, options['model']);
      const pointer = await createRollbackRun({ engine }).execute(deployment.model, actor);
      process.stdout.write(`${JSON.stringify(pointer)}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  }
}

runStoreCommand(
  USAGE,
  () => {
    const parsed = parseArgs({ allowPositionals: true, options: { model: { type: 'string' }, rows: { type: 'string' }, seed: { type: 'string' } } });
    return { command: parsed.positionals[0], options: parsed.values };
  },
  ({ command, options }, engine, config) => execute(config, engine, command, options),
);
