import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, '..', '..');

function packageDir(version: string, weights: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cli-package-'));
  writeFileSync(
    join(dir, 'manifest.json'),
    JSON.stringify({
      manifestVersion: 1,
      name: 'cli-model',
      version,
      format: 'layers-model',
      features: [{ name: 'x', type: 'numeric' }],
      outputs: [{ name: 'p', min: 0, max: 1 }],
    }),
  );
  writeFileSync(join(dir, 'weights.bin'), weights);
  return dir;
}

/** `npm run models -- ...` as an operator runs it, on a fresh embedded engine and model store. */
describe('models CLI', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'models-cli-'));
  // The embedded default: leave out the server that npm test exported.
  const { CLICKHOUSE_URL, ...inheritedEnv } = process.env;
  const env = { ...inheritedEnv, CHDB_PATH: join(workDir, 'chdb'), MODEL_STORE_DIR: join(workDir, 'store') };

  async function models(...args: string[]): Promise<unknown> {
    const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', 'run-ts.sh'), 'apps/platform/src/models-cli.ts', ...args, '--actor', 'e2e'], {
      cwd: REPO_ROOT,
      env,
      timeout: 120_000,
    });
    return JSON.parse(stdout);
  }

  it('registers, promotes, rolls back and lists versions', async () => {
    await models('register', packageDir('1.0.0', 'a'));
    await models('register', packageDir('2.0.0', 'b'));
    await models('promote', 'cli-model', '1.0.0');
    expect(await models('promote', 'cli-model', '2.0.0')).toMatchObject({ version: '2.0.0', state: 'active' });
    expect(await models('rollback', 'cli-model')).toMatchObject({ version: '1.0.0', state: 'active' });
    expect(await models('list')).toEqual([
      expect.objectContaining({ model: 'cli-model', version: '1.0.0', state: 'active' }),
      expect.objectContaining({ model: 'cli-model', version: '2.0.0', state: 'retired' }),
    ]);
    expect(await models('describe', 'cli-model', '2.0.0')).toMatchObject({
      package: { packageDir: join(workDir, 'store', 'cli-model', '2.0.0') },
    });
  });

  it('refuses a changed package under an existing version, and bad usage, with exit codes', async () => {
    const conflict = await run('bash', [join(REPO_ROOT, 'scripts', 'run-ts.sh'), 'apps/platform/src/models-cli.ts', 'register', packageDir('1.0.0', 'changed')], { cwd: REPO_ROOT, env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(conflict).toMatchObject({ code: 1, stderr: expect.stringMatching(/ModelVersionConflictError: .*versions are immutable/) });
    const usage = await run('bash', [join(REPO_ROOT, 'scripts', 'run-ts.sh'), 'apps/platform/src/models-cli.ts', 'promote', 'only-one-arg'], { cwd: REPO_ROOT, env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringMatching(/promote takes 2 argument/) });
  });
});
