import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './service-process';

const run = promisify(execFile);

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** An apps/platform command as an operator runs it (scripts/run-ts.sh: same set-up); never throws on its exit code. */
export async function platformCli(env: NodeJS.ProcessEnv, entry: string, ...args: string[]): Promise<CliResult> {
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

/** Like platformCli, for set-up steps that must succeed: throws with the command's stderr, else returns stdout. */
export async function platformCliOk(env: NodeJS.ProcessEnv, entry: string, ...args: string[]): Promise<string> {
  const result = await platformCli(env, entry, ...args);
  if (result.code !== 0) throw new Error(`${entry} ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-4_000)}`);
  return result.stdout;
}
