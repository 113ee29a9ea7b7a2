import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@clickhouse/client';
import { createEventStreamConfig, KafkaJsEventStream } from '@platform/event-stream';
import { freePort, REPO_ROOT, ServiceProcess } from './support/service-process';
import { platformCliOk } from './support/platform-cli';

interface ManifestFeature {
  name: string;
  type: 'numeric' | 'categorical';
  categories?: string[];
}

/**
 * The speed layer as its own process on a real broker and ClickHouse server: after a published
 * batch run, produced feature events are scored with the run's model version, a malformed one is
 * dead-lettered, the producer CLI's stream is scored too, and SIGTERM commits what was written. Needs CLICKHOUSE_URL and KAFKA_BROKERS.
 */
describe('speed layer service', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'speed-service-'));
  const tag = Date.now().toString(36);
  const database = `e2e_speed_${tag}`;
  const topic = `e2e.feature-events.${tag}`;
  const groupId = `e2e-speed-${tag}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLICKHOUSE_DATABASE: database,
    MODEL_STORE_DIR: join(workDir, 'store'),
    RUN_LOCK_DIR: join(workDir, 'locks'),
    FEATURE_EVENTS_TOPIC: topic,
    DEAD_LETTER_TOPIC: `${topic}.dlq`,
    SPEED_GROUP_ID: groupId,
    SPEED_BATCH_MIN_INTERVAL_MS: '100',
  };
  const clickhouse = createClient({ url: process.env['CLICKHOUSE_URL'] ?? 'http://unset', database: 'system' });
  const stream = new KafkaJsEventStream(createEventStreamConfig({ clientId: 'e2e-speed', brokers: (process.env['KAFKA_BROKERS'] ?? '').split(','), log: () => undefined }));

  async function scalar(query: string): Promise<number> {
    const rows = await (await clickhouse.query({ query, format: 'JSONEachRow' })).json<{ n: string }>();
    return Number(rows[0]?.n ?? 0);
  }

  afterAll(() => clickhouse.close());

  /** The values of one metric in the Prometheus text format, by its label text. */
  async function metricValues(port: number, name: string): Promise<Map<string, number>> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const values = new Map<string, number>();
    for (const line of text.split('\n')) {
      const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (match?.[1] === name) values.set(match[2] ?? '', Number(match[3]));
    }
    return values;
  }

  it('scores produced events with the published version, dead-letters a malformed one, commits on SIGTERM', async () => {
    await platformCliOk(env, 'train-demo-model', '--out', join(workDir, 'model'), '--version', '1.0.0', '--rows', '60000');
    await platformCliOk(env, 'models-cli', 'register', join(workDir, 'model'));
    await platformCliOk(env, 'models-cli', 'promote', 'churn', '1.0.0');
    await platformCliOk(env, 'batch-cli', 'demo-data', '--rows', '20000');
    await platformCliOk(env, 'batch-cli', 'run', '--model', 'churn');
    const manifest = JSON.parse(readFileSync(join(workDir, 'model', 'manifest.json'), 'utf8')) as { features: ManifestFeature[] };

    const port = await freePort();
    const speed = new ServiceProcess([join(REPO_ROOT, 'scripts', 'run-ts.sh'), 'apps/speed-layer/src/main.ts'], { ...env, SPEED_HTTP_PORT: String(port) });
    try {
      await speed.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('speed layer listening'), 120_000);
      const deadline = Date.now() + 60_000;
      while ((await fetch(`http://127.0.0.1:${port}/health/ready`)).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));

      const features = Object.fromEntries(manifest.features.map((feature) => [feature.name, feature.type === 'numeric' ? 1 : feature.categories![0]!]));
      const now = Date.now();
      const producer = stream.createProducer();
      await producer.connect();
      await producer.send(topic, [
        ...Array.from({ length: 100 }, (_, id) => ({
          key: `entity-${id}`,
          value: JSON.stringify({ schema: 'feature-event/v1', eventId: `e2e-${id}`, entityId: `entity-${id}`, eventTime: now, model: 'churn', features }),
        })),
        { key: 'broken', value: '{"schema": "feature-event/v1", ' },
      ]);
      await producer.disconnect();

      const predictions = `SELECT uniqExact(event_id) AS n FROM ${database}.speed_predictions WHERE model_version = '1.0.0'`;
      const until = Date.now() + 60_000;
      while ((await scalar(predictions)) < 100 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await scalar(predictions)).toBe(100);
      expect(await scalar(`SELECT uniqExact(event_id) AS n FROM ${database}.feature_events`)).toBe(100);

      // The producer CLI streams realistic events (the demo customers' features, missing values included).
      const produced = JSON.parse(await platformCliOk(env, 'produce-cli', '--count', '300', '--rate', '1000', '--entities', '20000')) as { sent: number };
      expect(produced.sent).toBe(300);
      const all = Date.now() + 60_000;
      while ((await scalar(predictions)) < 400 && Date.now() < all) await new Promise((resolve) => setTimeout(resolve, 250));
      expect(await scalar(predictions)).toBe(400);
      expect(await scalar(`SELECT uniqExact(event_id) AS n FROM ${database}.feature_events`)).toBe(400);

      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toMatch(/speed_dead_letters_total\{reason="not-json"[^}]*\} 1/);
      expect(metrics).toMatch(/speed_events_total\{outcome="scored"[^}]*\} 400/);

      // Every message, the dead letter included, was written within the run of this test.
      const latency = await metricValues(port, 'speed_event_written_latency_seconds_count');
      expect([...latency.values()]).toEqual([401]);
      const latencySum = [...(await metricValues(port, 'speed_event_written_latency_seconds_sum')).values()][0]!;
      expect(latencySum / 401).toBeGreaterThan(0);
      expect(latencySum / 401).toBeLessThan(60);
      // Lag and parts are read every 5 s: a reading after the last commit sees the tables' parts and no lag.
      const readingDeadline = Date.now() + 30_000;
      let [lag, parts, fullest] = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
      const tableValue = (values: Map<string, number>, table: string): number | undefined => [...values].find(([labels]) => labels.includes(`table="${table}"`))?.[1];
      do {
        await new Promise((resolve) => setTimeout(resolve, 500));
        // Parts first: the lag scraped next comes from the same reading or a later one.
        parts = await metricValues(port, 'clickhouse_active_parts');
        fullest = await metricValues(port, 'clickhouse_max_parts_per_partition');
        lag = await metricValues(port, 'speed_consumer_lag');
      } while ((tableValue(parts, 'speed_predictions') === undefined || [...lag.values()].some((value) => value !== 0)) && Date.now() < readingDeadline);
      expect([...lag.keys()].map((labels) => /partition="(\d+)"/.exec(labels)?.[1]).sort()).toEqual(['0', '1', '2']);
      expect([...lag.keys()].every((labels) => labels.includes(`topic="${topic}"`))).toBe(true);
      expect([...lag.values()]).toEqual([0, 0, 0]);
      for (const table of ['feature_events', 'speed_predictions']) {
        const active = tableValue(parts, table);
        const inOnePartition = tableValue(fullest, table);
        expect(active).toBeGreaterThanOrEqual(1);
        expect(inOnePartition).toBeGreaterThanOrEqual(1);
        expect(inOnePartition).toBeLessThanOrEqual(active!);
      }
      const ready = (await (await fetch(`http://127.0.0.1:${port}/health/ready`)).json()) as { status: string; info: Record<string, { status: string }> };
      expect(ready.status).toBe('ok');
      expect(ready.info['modules']?.status).toBe('up');
    } finally {
      expect(await speed.stop('SIGTERM')).toBe(0);
    }
    const admin = stream.createAdmin();
    await admin.connect();
    const committed = await admin.fetchCommittedOffsets(groupId, topic);
    await admin.disconnect();
    expect(committed.reduce((sum, { offset }) => sum + Number(offset ?? 0), 0)).toBe(401);
  }, 420_000);
});
