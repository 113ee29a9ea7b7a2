import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..', '..');

export type LogLine = Record<string, unknown> & { msg?: string };

/** A free loopback port (the OS picks it; the listener is closed before the service binds it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A platform process started as an operator starts it (bash script, real node), whose JSON log
 * lines the test can wait for. stdout and stderr are kept for the failure message.
 */
export class ServiceProcess {
  readonly logs: LogLine[] = [];
  private output = '';
  private readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private hasExited = false;

  constructor(script: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn('bash', script, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.output += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('{')) this.logs.push(JSON.parse(line) as LogLine);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.output += chunk));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.hasExited = true;
        resolve(code);
      }),
    );
  }

  get running(): boolean {
    return !this.hasExited;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves with the first log line that matches; rejects with the output so far on timeout or exit. */
  async waitForLog(matches: (line: LogLine) => boolean, timeoutMs: number): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    for (;;) {
      const found = this.logs.find(matches);
      if (found !== undefined) return found;
      if (exitCode !== undefined || Date.now() > deadline) {
        throw new Error(`${exitCode === undefined ? 'timed out' : `exited with ${exitCode}`} waiting for a log line; output:\n${this.output.slice(-6_000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** Sends the signal and resolves with the exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals, timeoutMs = 30_000): Promise<number | null> {
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  get text(): string {
    return this.output;
  }
}

/** The three layers' services and the variable each one's HTTP port is set by. */
const SERVICE_PORT_VARIABLES = { 'batch-layer': 'BATCH_HTTP_PORT', 'speed-layer': 'SPEED_HTTP_PORT', 'query-layer': 'QUERY_HTTP_PORT' } as const;

export type PlatformService = keyof typeof SERVICE_PORT_VARIABLES;

export interface RunningService {
  readonly process: ServiceProcess;
  readonly url: string;
  readonly port: number;
}

/**
 * Starts apps/<service>/src/main.ts on `port` (a free one when absent); resolves once it logged
 * that it listens and `/health/ready` answers 200.
 */
export async function startPlatformService(service: PlatformService, env: NodeJS.ProcessEnv, port?: number): Promise<RunningService> {
  const listenOn = port ?? (await freePort());
  const started = new ServiceProcess([join(REPO_ROOT, 'scripts', 'run-ts.sh'), `apps/${service}/src/main.ts`], { ...env, [SERVICE_PORT_VARIABLES[service]]: String(listenOn) });
  const url = `http://127.0.0.1:${listenOn}`;
  try {
    await started.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith(`${service.replace('-', ' ')} listening`), 120_000);
    const deadline = Date.now() + 60_000;
    while ((await fetch(`${url}/health/ready`)).status !== 200) {
      if (!started.running || Date.now() > deadline) throw new Error(`${service} on ${listenOn} never became ready:\n${started.text.slice(-3_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await started.stop('SIGKILL');
    throw error;
  }
  return { process: started, url, port: listenOn };
}
