import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, REPO_ROOT } from './service-process';

const run = promisify(execFile);

/**
 * A Kafka broker of a test's own (infra/kafka/start.sh with its own PLATFORM_RUN_DIR and free
 * ports), so the test may stop and start it while the broker other suites use stays up.
 */
export class DedicatedKafka {
  private constructor(
    private readonly runDir: string,
    private readonly env: NodeJS.ProcessEnv,
    readonly brokers: string,
  ) {}

  static async start(): Promise<DedicatedKafka> {
    const runDir = mkdtempSync(join(tmpdir(), 'e2e-kafka-'));
    const env = { ...process.env, PLATFORM_RUN_DIR: runDir, KAFKA_PORT: String(await freePort()), KAFKA_CONTROLLER_PORT: String(await freePort()) };
    return new DedicatedKafka(runDir, env, await kafkaScript(env, 'start.sh'));
  }

  /** start.sh again on the same state directory and ports (topics and offsets kept). */
  async restart(): Promise<void> {
    await kafkaScript(this.env, 'start.sh');
  }

  /** stop.sh: this broker only (data kept). */
  async stop(): Promise<void> {
    await kafkaScript(this.env, 'stop.sh');
  }

  async remove(): Promise<void> {
    try {
      await this.stop();
    } finally {
      rmSync(this.runDir, { recursive: true, force: true });
    }
  }
}

/** Runs a script of infra/kafka; start.sh prints `KAFKA_BROKERS=<list>` as its last stdout line, which this returns. */
async function kafkaScript(env: NodeJS.ProcessEnv, name: 'start.sh' | 'stop.sh'): Promise<string> {
  try {
    const { stdout } = await run('bash', [join(REPO_ROOT, 'infra', 'kafka', name)], { env, timeout: 150_000 });
    return /KAFKA_BROKERS=(\S+)/.exec(stdout)?.[1] ?? '';
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`infra/kafka/${name} failed (PLATFORM_RUN_DIR=${env['PLATFORM_RUN_DIR']}): ${stderr ?? String(error)}`, { cause: error });
  }
}
