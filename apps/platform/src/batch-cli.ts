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
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { type BatchOperations, createBatchLayer, type RunInFlight } from '@platform/batch-layer';
import { summarizeReport } from '@platform/batch-verification';
import { type ClickHouseEngine } from '@platform/clickhouse-store';
import { writeChurnDemoSource } from '@platform/demo-churn';
import { type PlatformConfig, platformEventStream } from '@platform/platform-config';
import { pino } from 'pino';
import { runStoreCommand, UsageError } from './store-command';

const USAGE = 'usage: batch demo-data [--rows N] [--seed S] | run --model M | runs --model M | rollback --model M';

function printProgress({ run, rowsRead, rowsTotal, estimate }: RunInFlight): void {
  const eta = estimate.etaSeconds === null ? '?' : String(estimate.etaSeconds);
  process.stderr.write(`\r${run.runId} ${estimate.percent}% ${rowsRead}/${rowsTotal} rows, ${estimate.rowsPerSecond} rows/s, ETA ${eta} s   `);
}

/**
 * The batch layer as the service builds it (with Kafka configured, runs take the same Kafka lock as
 * the service's replicas); only warnings are logged, the progress line is the output.
 */
async function batchOperations(config: PlatformConfig, engine: ClickHouseEngine): Promise<BatchOperations> {
  const log = pino({ name: 'batch-cli', level: 'warn' }, pino.destination(2));
  return (await createBatchLayer({ engine, config, eventStream: platformEventStream(config, log), log })).operations;
}

function modelOption(model: string | undefined): string {
  if (model === undefined) throw new UsageError('--model is required');
  return model;
}

async function execute(config: PlatformConfig, engine: ClickHouseEngine, command: string | undefined, options: Record<string, string | undefined>): Promise<number> {
  const actor = userInfo().username;
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
      const operations = await batchOperations(config, engine);
      const model = modelOption(options['model']);
      for (const run of await operations.recover()) process.stderr.write(`recovered interrupted run ${run.runId}: marked failed, partitions dropped\n`);
      const result = await operations.runToCompletion(model, actor, 'cli', printProgress).finally(() => process.stderr.write('\n'));
      process.stdout.write(`${summarizeReport(result.report).join('\n')}\n`);
      process.stdout.write(`${JSON.stringify({ runId: result.run.runId, status: result.run.status, rows: result.run.rows, published: result.published, droppedRuns: result.droppedRuns })}\n`);
      return result.published ? 0 : 1;
    }
    case 'runs': {
      const runs = await (await batchOperations(config, engine)).listRuns(modelOption(options['model']), 1_000);
      process.stdout.write(`${JSON.stringify(runs.map(({ report, ...run }) => ({ ...run, reportBytes: report.length })), null, 2)}\n`);
      return 0;
    }
    case 'rollback': {
      const pointer = await (await batchOperations(config, engine)).rollback(modelOption(options['model']), actor);
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
