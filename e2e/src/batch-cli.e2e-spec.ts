import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { platformCli } from './support/platform-cli';

/** The batch layer as an operator drives it today: demo data, a trained model, runs, rollback. */
describe('batch CLI on the embedded engine', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'batch-cli-'));
  // The embedded default: leave out the server that npm test exported.
  const { CLICKHOUSE_URL, ...inheritedEnv } = process.env;
  const env = {
    ...inheritedEnv,
    CHDB_PATH: join(workDir, 'chdb'),
    MODEL_STORE_DIR: join(workDir, 'store'),
    RUN_LOCK_DIR: join(workDir, 'locks'),
  };

  it('scores the demo source, publishes, lists runs and rolls back', async () => {
    const modelDir = join(workDir, 'churn-model');
    expect(await platformCli(env, 'train-demo-model', '--out', modelDir, '--version', '1.0.0')).toMatchObject({ code: 0 });
    expect(await platformCli(env, 'models-cli', 'register', modelDir)).toMatchObject({ code: 0 });
    expect(await platformCli(env, 'models-cli', 'promote', 'churn', '1.0.0')).toMatchObject({ code: 0 });
    expect(await platformCli(env, 'batch-cli', 'demo-data', '--rows', '50000')).toMatchObject({ code: 0 });

    const first = await platformCli(env, 'batch-cli', 'run', '--model', 'churn');
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/PASSED all \d+ gates/) });
    expect(first.stderr).toMatch(/100% 50000\/50000 rows/);
    const second = await platformCli(env, 'batch-cli', 'run', '--model', 'churn');
    expect(second.code).toBe(0);

    const runs = JSON.parse((await platformCli(env, 'batch-cli', 'runs', '--model', 'churn')).stdout) as { runId: string; status: string; rows: number }[];
    expect(runs.map((r) => [r.status, r.rows])).toEqual([
      ['published', 50_000],
      ['published', 50_000],
    ]);
    const rollback = await platformCli(env, 'batch-cli', 'rollback', '--model', 'churn');
    expect(JSON.parse(rollback.stdout)).toMatchObject({ runId: runs[1]!.runId, action: 'rollback' });
    const again = await platformCli(env, 'batch-cli', 'rollback', '--model', 'churn');
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/NothingToRollBackError/) });
    expect(await platformCli(env, 'batch-cli', 'run')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--model is required/) });
  }, 300_000);
});
