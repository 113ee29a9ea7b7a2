import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type RunLease, RunInProgressError } from '@platform/batch-domain';
import { createEventStreamConfig, type EventStream, KafkaJsEventStream } from '@platform/event-stream';
import { createRunLockTopic, KafkaRunLock } from './kafka-run-lock';
import { testKafkaBrokers, uniqueStreamName } from '@platform/event-stream/testing';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const MODEL = 'churn';

const brokers = testKafkaBrokers();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A separate client, as another process would have: the in-process guard does not see across them.
 * The broker makes member ids from the client id, so the id decides how members sort.
 */
function newStream(clientId = 'run-lock-integration'): EventStream {
  return new KafkaJsEventStream(
    createEventStreamConfig({
      clientId,
      brokers,
      // The broker's minimum session; a short heartbeat lets the holder rejoin quickly on a rebalance.
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      fetchMaxWaitMs: 200,
      retry: { initialRetryTimeMs: 100, maxRetryTimeMs: 1_000, retries: 3 },
      log: () => undefined,
    }),
  );
}

/** A lock holder in its own process (testing/kafka-lock-holder-child.ts); resolves once it holds. */
class HolderProcess {
  private output = '';
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<number | null>;

  constructor(topic: string, prefix: string, mode: 'hold' | 'stall', stallMs = 0) {
    const script = join(__dirname, 'testing', 'kafka-lock-holder-child.ts');
    const args = [brokers.join(','), topic, prefix, MODEL, mode, String(stallMs)];
    this.child = spawn(process.execPath, ['-r', '@swc-node/register', script, ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.base.json' },
    });
    this.child.stdout.on('data', (chunk: Buffer) => void (this.output += chunk.toString('utf8')));
    let errors = '';
    this.child.stderr.on('data', (chunk: Buffer) => void (errors += chunk.toString('utf8')));
    this.exited = new Promise((resolve) => this.child.on('exit', resolve));
    // A failed child says why in the test's failure, not just "timed out".
    void this.exited.then((code) => {
      if (code !== 0 && code !== null) this.output += `exited ${code}: ${errors}`;
    });
  }

  /** Resolves with the first stdout line matching `pattern`. */
  async line(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.output.split('\n').find((line) => pattern.test(line));
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; child printed: ${this.output}`);
      await sleep(50);
    }
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

async function refusal(lease: Promise<RunLease>): Promise<unknown> {
  return lease.then(
    async (acquired) => {
      await acquired.release();
      return new Error('the lock was acquired, but another member holds it');
    },
    (error: unknown) => error,
  );
}

describe('KafkaRunLock on a real broker', () => {
  let topic: string;
  let prefix: string;
  const leases: RunLease[] = [];
  const children: HolderProcess[] = [];

  beforeEach(async () => {
    topic = uniqueStreamName('run-lock');
    prefix = uniqueStreamName('batch');
    await createRunLockTopic(newStream(), topic);
    await createRunLockTopic(newStream(), topic); // idempotent
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
    await Promise.all(leases.splice(0).map((lease) => lease.release()));
    const admin = newStream().createAdmin();
    await admin.connect();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('refuses other members while held, keeps the holder undisturbed, and hands over on release', async () => {
    const holderStream = newStream('run-lock-holder');
    const holder = await new KafkaRunLock(holderStream, topic, prefix).acquire(MODEL);
    leases.push(holder);

    // The same client again, through another lock instance: refused without joining the group.
    const startedAt = Date.now();
    const sameProcess = await refusal(new KafkaRunLock(holderStream, topic, prefix).acquire(MODEL));
    expect(sameProcess).toBeInstanceOf(RunInProgressError);
    expect((sameProcess as Error).message).toMatch(/already under way in this process/);
    expect(Date.now() - startedAt).toBeLessThan(100);

    // Three other "processes" join at once. Their member ids sort before the holder's, so kafkajs's
    // default (round robin) would hand one of them the partition.
    const newcomers = await Promise.all(
      [1, 2, 3].map(() => refusal(new KafkaRunLock(newStream('run-lock-a-newcomer'), topic, prefix).acquire(MODEL))),
    );
    for (const error of newcomers) {
      expect(error).toBeInstanceOf(RunInProgressError);
      expect((error as Error).message).toBe(
        `a run of model ${MODEL} is already under way: another member of group "${prefix}.run-lock.${MODEL}" ` +
          `holds partition 0 of ${topic} (retry once that run has ended)`,
      );
    }
    // The holder went through their joins and leaves (it rejoins within a heartbeat) without losing the lease.
    await sleep(2_000);
    expect(holder.lost.aborted).toBe(false);

    await holder.release();
    leases.splice(0);
    const next = await new KafkaRunLock(newStream(), topic, prefix).acquire(MODEL);
    leases.push(next);
    expect(next.lost.aborted).toBe(false);
    // Another model is another group: not blocked by this one.
    leases.push(await new KafkaRunLock(newStream(), topic, prefix).acquire('fraud'));
  });

  it('takes over from a holder that was killed without leaving, once its session expires', async () => {
    const child = new HolderProcess(topic, prefix, 'hold');
    children.push(child);
    await child.line(/^held$/);
    expect(await refusal(new KafkaRunLock(newStream(), topic, prefix).acquire(MODEL))).toBeInstanceOf(
      RunInProgressError,
    );

    await child.kill();
    const killedAt = Date.now();
    const taker = await new KafkaRunLock(newStream(), topic, prefix).acquire(MODEL);
    leases.push(taker);

    // The group waited for the dead member's 6 s session (its last heartbeat at most 0.5 s before the kill).
    expect(Date.now() - killedAt).toBeGreaterThan(4_500);
    expect(taker.lost.aborted).toBe(false);
  });

  it('tells a holder that stalled past its session that its lease is lost, once another member took it', async () => {
    const child = new HolderProcess(topic, prefix, 'stall', 9_000);
    children.push(child);
    await child.line(/^held$/);

    // Joins while the holder's event loop is blocked: gets the partition once the holder's session expired.
    const taker = await new KafkaRunLock(newStream(), topic, prefix).acquire(MODEL);
    leases.push(taker);

    expect(await child.line(/^(lost|kept)/)).toBe(
      `lost group "${prefix}.run-lock.${MODEL}" assigned partition 0 of ${topic} to another member`,
    );
    await sleep(1_000); // the stalled member rejoined and left again; the new holder is undisturbed
    expect(taker.lost.aborted).toBe(false);
  });
});
