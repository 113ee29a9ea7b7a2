import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClickHouseClient, createClient } from '@clickhouse/client';
import { createEventStreamConfig, KafkaJsEventStream } from '@platform/event-stream';
import { DedicatedClickHouse } from './support/dedicated-clickhouse';
import { platformCliOk } from './support/platform-cli';
import { freePort, REPO_ROOT, ServiceProcess, type LogLine } from './support/service-process';
import { type SentFeatureEvent, SteadyFeatureStream } from './support/steady-feature-stream';

/**
 * Small micro-batches, so that the duplicate bounds below (in batches) say something. No minimum
 * interval between flushes: with one, a flush that comes due early takes everything that arrived
 * meanwhile and a batch may exceed the count (after a restart, a whole backlog).
 */
const MAX_BATCH = 50;
const ENTITIES = 300;

interface ManifestFeature {
  name: string;
  type: 'numeric' | 'categorical';
  categories?: string[];
}

interface RunningSpeedLayer {
  readonly service: ServiceProcess;
  readonly port: number;
  /** Partitions of the first assignment, from the "speed consumer joined" log line. */
  readonly partitions: readonly number[];
}

/**
 * The speed layer as processes on a real broker and ClickHouse server, under faults: SIGKILL and
 * restart, two members of one group rebalancing as one leaves and joins again, the ClickHouse
 * server stopped and started again. Each time a steady stream flows through the fault and the set
 * of event ids in `feature_events` and in `speed_predictions` must equal the set produced, the
 * merged view must serve each entity its latest event, and the raw duplicate rows (redeliveries of
 * written but uncommitted batches) must stay within the bound the commit-after-write design gives.
 *
 * Everything runs on a ClickHouse server of this suite's own (stopped in the third test), set up
 * once: demo model trained, registered and promoted, demo data, one published batch run; each test
 * gets a copy of that database, its own topic and group. Needs KAFKA_BROKERS.
 */
describe('speed layer under faults', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'speed-faults-'));
  const tag = Date.now().toString(36);
  const baseDatabase = `e2e_speed_faults_${tag}`;
  const stream = new KafkaJsEventStream(createEventStreamConfig({ clientId: 'e2e-speed-faults', brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), log: () => undefined }));
  /** Topics a speed-layer process created (it does before joining), deleted at the end. */
  const topics = new Set<string>();
  let clickhouse: DedicatedClickHouse;
  let client: ClickHouseClient;
  let features: Record<string, number | string>;
  let entityIds: string[];
  /** What a failed test leaves running: its stream and its processes. */
  const leftovers: (() => Promise<unknown>)[] = [];
  /** Speed-layer processes that must not exit until the test stops them. */
  const live = new Set<ServiceProcess>();
  /** Every speed-layer process of the running test, killed ones included (their logs count). */
  const started: ServiceProcess[] = [];

  function platformEnv(database: string): NodeJS.ProcessEnv {
    return {
      ...process.env,
      CLICKHOUSE_URL: clickhouse.url,
      CLICKHOUSE_DATABASE: database,
      MODEL_STORE_DIR: join(workDir, 'store'),
      RUN_LOCK_DIR: join(workDir, 'locks'),
    };
  }

  async function rows<T>(query: string): Promise<T[]> {
    return (await client.query({ query, format: 'JSONEachRow' })).json<T>();
  }

  async function scalar(query: string): Promise<number> {
    return Number((await rows<{ n: string }>(query))[0]?.n ?? 0);
  }

  async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs: number, pollMs = 200): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      for (const service of live) if (!service.running) throw new Error(`a speed-layer process exited while waiting for ${what}:\n${service.text.slice(-4_000)}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  beforeAll(async () => {
    clickhouse = await DedicatedClickHouse.start();
    client = createClient({ url: clickhouse.url, database: 'system' });
    const env = platformEnv(baseDatabase);
    const modelDir = join(workDir, 'model');
    await platformCliOk(env, 'train-demo-model', '--out', modelDir, '--version', '1.0.0', '--rows', '60000');
    await platformCliOk(env, 'models-cli', 'register', modelDir);
    await platformCliOk(env, 'models-cli', 'promote', 'churn', '1.0.0');
    await platformCliOk(env, 'batch-cli', 'demo-data', '--rows', '5000');
    await platformCliOk(env, 'batch-cli', 'run', '--model', 'churn');
    const manifest = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as { features: ManifestFeature[] };
    features = Object.fromEntries(manifest.features.map((feature) => [feature.name, feature.type === 'numeric' ? 1 : feature.categories![0]!]));
    // Entities of the published run: the merged view must prefer their latest speed row to the batch row.
    const entities = await rows<{ entity_id: string }>(`SELECT DISTINCT entity_id FROM ${baseDatabase}.batch_predictions ORDER BY entity_id LIMIT ${ENTITIES}`);
    entityIds = entities.map(({ entity_id }) => entity_id);
    expect(entityIds).toHaveLength(ENTITIES);
  }, 300_000);

  afterEach(async () => {
    // Best effort: a failed test has reported its own error already.
    for (const leftover of leftovers.splice(0)) await leftover().catch(() => undefined);
    live.clear();
    started.length = 0;
  });

  afterAll(async () => {
    await client?.close();
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.deleteTopics([...topics]).finally(() => admin.disconnect());
    await clickhouse?.remove();
    rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  /**
   * A test's own database (a copy of the set-up's tables; the speed layer's migrations add the
   * view), topic and group. Merges are stopped on the two tables the speed layer writes, so their
   * raw duplicate rows stay countable: ReplacingMergeTree would otherwise fold some of them away.
   */
  async function scenario(name: string, eventsPerSecond: number): Promise<{ database: string; topic: string; env: NodeJS.ProcessEnv; events: SteadyFeatureStream }> {
    const database = `${baseDatabase}_${name}`;
    const topic = `e2e.speed-faults.${name}.${tag}`;
    await client.command({ query: `CREATE DATABASE ${database}` });
    const tables = await rows<{ name: string }>(
      `SELECT name FROM system.tables WHERE database = '${baseDatabase}' AND engine NOT LIKE '%View' AND name != 'schema_migrations'`,
    );
    for (const { name: table } of tables) {
      await client.command({ query: `CREATE TABLE ${database}.${table} AS ${baseDatabase}.${table}` });
      await client.command({ query: `INSERT INTO ${database}.${table} SELECT * FROM ${baseDatabase}.${table}` });
    }
    await stopMerges(database);
    const env = {
      ...platformEnv(database),
      FEATURE_EVENTS_TOPIC: topic,
      DEAD_LETTER_TOPIC: `${topic}.dlq`,
      SPEED_GROUP_ID: `e2e-speed-faults-${name}-${tag}`,
      SPEED_BATCH_MAX_COUNT: String(MAX_BATCH),
      // Long enough for batches to fill by count at the test's rate (fewer parts while merges are stopped).
      SPEED_BATCH_MAX_WAIT_MS: '1000',
      SPEED_BATCH_MIN_INTERVAL_MS: '0',
    };
    const events = new SteadyFeatureStream(stream, { topic, model: 'churn', eventsPerSecond, entityIds, features: () => features, idPrefix: `${name}-${tag}` });
    leftovers.push(() => events.stop());
    return { database, topic, env, events };
  }

  async function stopMerges(database: string): Promise<void> {
    for (const table of ['feature_events', 'speed_predictions']) await client.command({ query: `SYSTEM STOP MERGES ${database}.${table}` });
  }

  /**
   * Starts a speed-layer process; resolves once it has joined the group (after a SIGKILL, once the
   * dead member's session expired) and serves its metrics.
   */
  async function startSpeedLayer(env: NodeJS.ProcessEnv): Promise<RunningSpeedLayer> {
    const port = await freePort();
    const service = new ServiceProcess([join(REPO_ROOT, 'scripts', 'run-ts.sh'), 'apps/speed-layer/src/main.ts'], { ...env, SPEED_HTTP_PORT: String(port) });
    leftovers.push(() => service.stop('SIGKILL'));
    live.add(service);
    started.push(service);
    const joined = await service.waitForLog((line) => line.msg === 'speed consumer joined', 120_000);
    topics.add(env['FEATURE_EVENTS_TOPIC']!).add(env['DEAD_LETTER_TOPIC']!);
    await service.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('speed layer listening'), 30_000);
    return { service, port, partitions: assignedPartitions(joined) };
  }

  /** Resolves with the exit code (null when killed by the signal). */
  async function stopSpeedLayer(speed: RunningSpeedLayer, signal: NodeJS.Signals): Promise<number | null> {
    live.delete(speed.service);
    return speed.service.stop(signal);
  }

  function assignedPartitions(line: LogLine): number[] {
    const assignment = line['assignment'] as { partitions: number[] }[];
    return assignment.flatMap(({ partitions }) => partitions).sort();
  }

  async function landed(database: string): Promise<number> {
    return scalar(`SELECT uniqExact(event_id) AS n FROM ${database}.speed_predictions`);
  }

  /**
   * Waits until as many events have landed as had been sent when called: the consumers have worked
   * off their backlog, so the next fault finds at most a batch in flight (pacing only; the exact
   * check comes at the end).
   */
  async function caughtUp(database: string, events: SteadyFeatureStream): Promise<void> {
    const sent = events.sentCount;
    await waitFor(`the ${sent} events sent so far to land`, async () => (await landed(database)) >= sent, 60_000);
  }

  async function committedOffsets(env: NodeJS.ProcessEnv): Promise<readonly { partition: number; offset: string | null }[]> {
    const admin = stream.createAdmin();
    await admin.connect();
    return admin.fetchCommittedOffsets(env['SPEED_GROUP_ID']!, env['FEATURE_EVENTS_TOPIC']!).finally(() => admin.disconnect());
  }

  async function scoredBy(speed: RunningSpeedLayer): Promise<number> {
    const metrics = await (await fetch(`http://127.0.0.1:${speed.port}/metrics`)).text();
    return Number(/^speed_events_total\{outcome="scored"[^}]*\} (\d+)/m.exec(metrics)?.[1] ?? 0);
  }

  /**
   * Rows the catch-up wrote: at start (and after a version change) a process re-scores each
   * entity's latest event after the cut-off, by design a second row of an event already scored
   * (same key, folded on merge). Counted from the processes' own "caught up" log lines.
   */
  function catchUpRows(): number {
    const lines = started.flatMap((service) => service.logs).filter((line) => typeof line.msg === 'string' && line.msg.startsWith('caught up'));
    return lines.reduce((sum, line) => sum + Number(line['scored'] ?? 0), 0);
  }

  /**
   * The exact-set check once the stream is done: every event id produced is in `feature_events`
   * and in `speed_predictions`, nothing else is; the merged view serves each entity its latest
   * event; raw duplicate rows (count minus distinct event keys) stay within `maxDuplicates`, plus
   * the catch-up's rows in `speed_predictions`.
   */
  async function expectEveryEventExactlyOnce(test: string, database: string, sent: readonly SentFeatureEvent[], maxDuplicates: number): Promise<void> {
    const produced = sent.map(({ eventId }) => eventId).sort();
    for (const table of ['feature_events', 'speed_predictions']) {
      const ids = (await rows<{ event_id: string }>(`SELECT DISTINCT event_id FROM ${database}.${table}`)).map(({ event_id }) => event_id);
      const stored = new Set(ids);
      const producedSet = new Set(produced);
      expect({ table, missing: produced.filter((id) => !stored.has(id)), extra: ids.filter((id) => !producedSet.has(id)) }).toEqual({ table, missing: [], extra: [] });
    }
    const latest = new Map(sent.map(({ entityId, eventId }) => [entityId, eventId]));
    const served = await rows<{ entity_id: string; source: string; event_id: string; model_version: string }>(
      `SELECT entity_id, source, event_id, model_version FROM ${database}.predictions_latest WHERE model = 'churn' AND entity_id IN (${[...latest.keys()].map((id) => `'${id}'`).join(', ')})`,
    );
    expect(new Map(served.map(({ entity_id, source, event_id, model_version }) => [entity_id, `${source} ${event_id} ${model_version}`]))).toEqual(
      new Map([...latest].map(([entityId, eventId]) => [entityId, `speed ${eventId} 1.0.0`])),
    );
    const duplicates = {
      feature_events: await scalar(`SELECT count() - uniqExact(model, event_id) AS n FROM ${database}.feature_events`),
      speed_predictions: await scalar(`SELECT count() - uniqExact(model, event_id, model_version) AS n FROM ${database}.speed_predictions`),
    };
    const caughtUpRows = catchUpRows();
    // On stdout, so the numbers can be quoted from a CI log.
    process.stdout.write(
      `speed faults, ${test}: ${sent.length} events, raw duplicate rows ${JSON.stringify(duplicates)}, bound ${maxDuplicates} (+ ${caughtUpRows} catch-up rows in speed_predictions)\n`,
    );
    expect(duplicates.feature_events).toBeLessThanOrEqual(maxDuplicates);
    expect(duplicates.speed_predictions).toBeLessThanOrEqual(maxDuplicates + caughtUpRows);
  }

  /** Until every sent event has landed, or nothing more has for 10 s: the check that follows names what is missing. */
  async function settle(database: string, sent: number): Promise<void> {
    let count = await landed(database);
    let changedAt = Date.now();
    await waitFor(`the ${sent} events to land or stop landing`, async () => {
      const now = await landed(database);
      if (now !== count) [count, changedAt] = [now, Date.now()];
      return now >= sent || Date.now() - changedAt > 10_000;
    }, 90_000);
  }

  async function finish(test: string, database: string, events: SteadyFeatureStream, running: readonly RunningSpeedLayer[], maxDuplicates: number): Promise<void> {
    const sent = await events.stop();
    await settle(database, sent.length);
    for (const speed of running) expect(await stopSpeedLayer(speed, 'SIGTERM')).toBe(0);
    await expectEveryEventExactlyOnce(test, database, sent, maxDuplicates);
  }

  /**
   * A SIGKILL loses the process's batch in flight after its writes may have landed and before its
   * commit: it comes again after the restart. Batches are processed one at a time, so a kill
   * re-delivers at most one written batch: duplicates <= MAX_BATCH per kill.
   */
  it('loses nothing and duplicates at most one batch when SIGKILLed mid-stream and restarted', async () => {
    // Slower: the restarted member joins only once the killed one's session expired (30 s), and
    // the stream flows all that time.
    const { database, topic, env, events } = await scenario('kill', 100);
    // The stream starts before the process: it works through a backlog, back to back, when killed
    // (a kill between two batches of a consumer that keeps up would test little).
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 3 }]).finally(() => admin.disconnect());
    events.start();
    const first = await startSpeedLayer(env);
    await waitFor('rows to land', async () => (await landed(database)) >= 4 * MAX_BATCH, 60_000, 20);
    expect(await stopSpeedLayer(first, 'SIGKILL')).toBeNull();
    process.stdout.write(`speed faults, SIGKILL: killed with ${await landed(database)} of ${events.sentCount} sent events scored\n`);
    const restarted = await startSpeedLayer(env);
    const atRestart = events.sentCount;
    await waitFor('the restarted process to catch up', async () => (await landed(database)) >= atRestart, 60_000);
    await finish('SIGKILL', database, events, [restarted], MAX_BATCH);
  }, 240_000);

  /**
   * A member leaving by SIGTERM flushes and commits first: it adds no duplicate. A member that
   * stays through a rebalance restarts its partitions from their last commit, so what it had
   * fetched and not yet committed comes again: its batch in flight and the part-filled next one
   * (< 2 * MAX_BATCH), as the test lets the consumers catch up before each change. Two rebalances
   * mid-stream (one leaves, one joins) with one member staying through each: duplicates <= 4 * MAX_BATCH.
   */
  it('two processes in one group share the partitions and lose nothing when one leaves and joins again', async () => {
    const { database, env, events } = await scenario('rebalance', 200);
    const [first, second] = await Promise.all([startSpeedLayer(env), startSpeedLayer(env)]);
    // Both have joined (each logs its first assignment), so the stream starts on a shared group.
    expect(first.partitions.length).toBeGreaterThan(0);
    expect(second.partitions.length).toBeGreaterThan(0);
    events.start();
    await caughtUp(database, events);
    await waitFor('both members to score events', async () => (await scoredBy(first)) > 0 && (await scoredBy(second)) > 0, 30_000);

    expect(await stopSpeedLayer(first, 'SIGTERM')).toBe(0);
    const scoredAlone = await scoredBy(second);
    await caughtUp(database, events);
    expect(await scoredBy(second)).toBeGreaterThan(scoredAlone);
    const rejoined = await startSpeedLayer(env);
    expect(rejoined.partitions.length).toBeGreaterThan(0);
    expect(rejoined.partitions.length).toBeLessThan(3);
    await waitFor('the rejoined member to score events', async () => (await scoredBy(rejoined)) > 0, 30_000);
    await caughtUp(database, events);
    await finish('rebalance', database, events, [second, rejoined], 4 * MAX_BATCH);
  }, 240_000);

  /**
   * While the server is down the consumer retries its batch with backoff and commits nothing (the
   * committed offsets stand still). The
   * batch cut off by the stop may have landed in part (or whole, with the answer lost) and is
   * written again whole: duplicates <= MAX_BATCH per outage.
   */
  it('pauses while the ClickHouse server is stopped mid-stream and loses nothing once it is back', async () => {
    const { database, env, events } = await scenario('server', 200);
    const speed = await startSpeedLayer(env);
    events.start();
    await caughtUp(database, events);
    await clickhouse.stop();
    const sentWhenStopped = events.sentCount;
    // A batch whose writes ended just before the stop may still commit; after that nothing may.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const committedWhileDown = await committedOffsets(env);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await committedOffsets(env)).toEqual(committedWhileDown);
    await clickhouse.restart();
    // The old client's pooled sockets died with the server; merges stopped with SYSTEM run again after a restart.
    await client.close();
    client = createClient({ url: clickhouse.url, database: 'system' });
    await stopMerges(database);
    expect(events.sentCount).toBeGreaterThan(sentWhenStopped);
    await caughtUp(database, events);
    expect(speed.service.logs.some((line) => line.msg === 'micro-batch not written; retrying, nothing committed')).toBe(true);
    await finish('server stopped', database, events, [speed], MAX_BATCH);
  }, 240_000);
});
