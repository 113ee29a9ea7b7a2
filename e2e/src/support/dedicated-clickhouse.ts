import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, REPO_ROOT } from './service-process';

const run = promisify(execFile);

/**
 * A ClickHouse server of a test's own (infra/clickhouse/start.sh with its own PLATFORM_RUN_DIR and
 * free ports), so the test may stop and start it while the server other suites use stays up.
 * `stop()` does not wait for outdated parts to be cleaned up (see below).
 */
export class DedicatedClickHouse {
  private constructor(
    private readonly runDir: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly url: string,
  ) {}

  static async start(): Promise<DedicatedClickHouse> {
    const runDir = mkdtempSync(join(tmpdir(), 'e2e-clickhouse-'));
    const env = {
      ...process.env,
      PLATFORM_RUN_DIR: runDir,
      CLICKHOUSE_HTTP_PORT: String(await freePort()),
      CLICKHOUSE_TCP_PORT: String(await freePort()),
      // Stop at once, even mid-stream. The drain guards against 18.16 loading again, after a restart,
      // parts a DROP PARTITION or TRUNCATE left on disk: fit only for tests that drop no partition.
      CLICKHOUSE_STOP_DRAIN_TIMEOUT: '0',
    };
    return new DedicatedClickHouse(runDir, env, await clickhouseScript(env, 'start.sh'));
  }

  /** start.sh again on the same state directory and ports (data kept). */
  async restart(): Promise<void> {
    await clickhouseScript(this.env, 'start.sh');
  }

  /** stop.sh: SIGTERM to this instance only (data kept). */
  async stop(): Promise<void> {
    await clickhouseScript(this.env, 'stop.sh');
  }

  /** Stops the server and deletes its state. */
  async remove(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.runDir, { recursive: true, force: true });
    }
  }
}

/** Runs a script of infra/clickhouse; start.sh prints `CLICKHOUSE_URL=<url>` on stdout, which this returns. */
async function clickhouseScript(env: NodeJS.ProcessEnv, name: 'start.sh' | 'stop.sh'): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(REPO_ROOT, 'infra', 'clickhouse', name)], { env, timeout: 120_000 });
    return stdout.trim().replace(/^CLICKHOUSE_URL=/, '');
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`infra/clickhouse/${name} failed (PLATFORM_RUN_DIR=${env['PLATFORM_RUN_DIR']}): ${stderr ?? String(error)}`, { cause: error });
  }
}
