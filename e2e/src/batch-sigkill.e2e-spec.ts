import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { platformCliOk } from './support/platform-cli';
import { REPO_ROOT } from './support/service-process';

/** Eight chunks: the run is still writing when its first predictions are seen. */
const SOURCE_ROWS = 500_000;

/**
 * A batch run killed with SIGKILL mid-write leaves nothing visible; the next run marks it failed,
 * drops its partition and publishes. Needs a server (CLICKHOUSE_URL): the test watches the run's
 * partition fill from outside the process that writes it.
 */
describe('a batch run killed mid-write', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'batch-kill-'));
  const database = `e2e_kill_${Date.now().toString(36)}`;
  const url = process.env['CLICKHOUSE_URL'];
  const env = {
    ...process.env,
    CLICKHOUSE_DATABASE: database,
    MODEL_STORE_DIR: join(workDir, 'store'),
    RUN_LOCK_DIR: join(workDir, 'locks'),
  };
  const client = createClient({ url: url ?? 'http://unset', database: 'system' });

  async function scalar(query: string): Promise<string | undefined> {
    const rows = await (await client.query({ query, format: 'JSONEachRow' })).json<Record<string, string>>();
    return rows[0] === undefined ? undefined : Object.values(rows[0])[0];
  }

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  it('leaves nothing visible, and the next run recovers and publishes', async () => {
    if (url === undefined) throw new Error('CLICKHOUSE_URL is not set: run through npm test');
    const modelDir = join(workDir, 'churn-model');
    await platformCliOk(env, 'train-demo-model', '--out', modelDir, '--version', '1.0.0', '--rows', '60000');
    await platformCliOk(env, 'models-cli', 'register', modelDir);
    await platformCliOk(env, 'models-cli', 'promote', 'churn', '1.0.0');
    await platformCliOk(env, 'batch-cli', 'demo-data', '--rows', String(SOURCE_ROWS));
    const first = JSON.parse((await platformCliOk(env, 'batch-cli', 'run', '--model', 'churn')).trim().split('\n').at(-1)!) as { runId: string };

    const child = spawn('bash', [join(REPO_ROOT, 'scripts', 'run-ts.sh'), 'apps/platform/src/batch-cli.ts', 'run', '--model', 'churn'], {
      cwd: REPO_ROOT,
      env,
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    let killedRun: string | undefined;
    const deadline = Date.now() + 120_000;
    while (killedRun === undefined && Date.now() < deadline) {
      const running = await scalar(
        `SELECT run_id FROM ${database}.batch_runs WHERE run_id != '${first.runId}' ORDER BY updated_at DESC LIMIT 1`,
      );
      if (running !== undefined && Number(await scalar(`SELECT count() FROM ${database}.batch_predictions WHERE run_id = '${running}'`)) > 0) {
        killedRun = running;
        child.kill('SIGKILL'); // run-ts.sh execs node: this is the writer itself
      } else {
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(killedRun).toBeDefined();

    // Nothing of the killed run is served: the pointer and the merged view still show the first run.
    expect(await scalar(`SELECT argMax(run_id, at) FROM ${database}.serving_pointer WHERE model = 'churn'`)).toBe(first.runId);
    expect(await scalar(`SELECT countIf(run_id != '${first.runId}') FROM ${database}.predictions_latest WHERE model = 'churn'`)).toBe('0');
    expect(await scalar(`SELECT argMax(status, updated_at) FROM ${database}.batch_runs WHERE run_id = '${killedRun!}'`)).toBe('running');

    const next = await platformCliOk(env, 'batch-cli', 'run', '--model', 'churn');
    expect(next).toMatch(/"published":true/);
    expect(await scalar(`SELECT argMax(status, updated_at) FROM ${database}.batch_runs WHERE run_id = '${killedRun!}'`)).toBe('failed');
    expect(await scalar(`SELECT count() FROM ${database}.batch_predictions WHERE run_id = '${killedRun!}'`)).toBe('0');
  }, 300_000);
});
