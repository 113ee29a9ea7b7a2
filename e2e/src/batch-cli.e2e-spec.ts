import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, '..', '..');

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

  async function platform(entry: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return run('bash', [join(REPO_ROOT, 'scripts', 'run-ts.sh'), `apps/platform/src/${entry}.ts`, ...args], {
      cwd: REPO_ROOT,
      env,
      timeout: 240_000,
      maxBuffer: 64 * 1024 * 1024,
    }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
    );
  }

  it('scores the demo source, publishes, lists runs and rolls back', async () => {
    const modelDir = join(workDir, 'churn-model');
    expect(await platform('train-demo-model', '--out', modelDir, '--version', '1.0.0')).toMatchObject({ code: 0 });
    expect(await platform('models-cli', 'register', modelDir)).toMatchObject({ code: 0 });
    expect(await platform('models-cli', 'promote', 'churn', '1.0.0')).toMatchObject({ code: 0 });
    expect(await platform('batch-cli', 'demo-data', '--rows', '50000')).toMatchObject({ code: 0 });

    const first = await platform('batch-cli', 'run', '--model', 'churn');
    expect(first).toMatchObject({ code: 0, stdout: expect.stringMatching(/PASSED all \d+ gates/) });
    expect(first.stderr).toMatch(/100% 50000\/50000 rows/);
    const second = await platform('batch-cli', 'run', '--model', 'churn');
    expect(second.code).toBe(0);

    const runs = JSON.parse((await platform('batch-cli', 'runs', '--model', 'churn')).stdout) as { runId: string; status: string; rows: number }[];
    expect(runs.map((r) => [r.status, r.rows])).toEqual([
      ['published', 50_000],
      ['published', 50_000],
    ]);
    const rollback = await platform('batch-cli', 'rollback', '--model', 'churn');
    expect(JSON.parse(rollback.stdout)).toMatchObject({ runId: runs[1]!.runId, action: 'rollback' });
    const again = await platform('batch-cli', 'rollback', '--model', 'churn');
    expect(again).toMatchObject({ code: 1, stderr: expect.stringMatching(/NothingToRollBackError/) });
    expect(await platform('batch-cli', 'run')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--model is required/) });
  }, 300_000);
});
