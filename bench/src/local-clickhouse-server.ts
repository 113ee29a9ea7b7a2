import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const REPO_ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

export interface ClickHouseServer {
  readonly url: string;
  /** The server's pid when it is this checkout's local server (its RSS and CPU get sampled); else null. */
  readonly pid: number | null;
  /** Stops the server if this benchmark started it; a server that was already up is left running. */
  stop(): Promise<void>;
}

function localServerPid(): number | null {
  const pidFile = join(process.env['PLATFORM_RUN_DIR'] ?? join(REPO_ROOT, '.run'), 'clickhouse', 'server.pid');
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const cmdline = existsSync(`/proc/${pid}/cmdline`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8') : '';
  return cmdline.includes('clickhouse-server') ? pid : null;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}

/**
 * CLICKHOUSE_URL when set; else this checkout's loopback server (infra/clickhouse/start.sh), started
 * if it is not running, as `npm test` does.
 */
export async function ensureClickHouseServer(): Promise<ClickHouseServer> {
  const configured = process.env['CLICKHOUSE_URL'];
  const local = `http://127.0.0.1:${process.env['CLICKHOUSE_HTTP_PORT'] ?? '18123'}`;
  if (configured !== undefined && configured !== '') {
    return { url: configured, pid: configured === local ? localServerPid() : null, stop: () => Promise.resolve() };
  }
  const wasRunning = await answers(local);
  const { stdout } = await run('bash', [join(REPO_ROOT, 'infra', 'clickhouse', 'start.sh')], { cwd: REPO_ROOT });
  const url = /^CLICKHOUSE_URL=(.+)$/m.exec(stdout)?.[1];
  if (url === undefined) throw new Error(`infra/clickhouse/start.sh printed no CLICKHOUSE_URL: ${stdout}`);
  return {
    url,
    pid: localServerPid(),
    stop: async () => {
      if (!wasRunning) await run('bash', [join(REPO_ROOT, 'infra', 'clickhouse', 'stop.sh')], { cwd: REPO_ROOT });
    },
  };
}
