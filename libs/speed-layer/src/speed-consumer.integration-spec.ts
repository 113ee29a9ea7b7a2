import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClickHouseEngine, ServingPointerRepository, SpeedPredictionRepository } from '@platform/clickhouse-store';
import { parseSpeedPredictionMessage, type SpeedPredictionMessage } from '@platform/domain';
import { FlakyTcpProxy, uniqueName, useTestEngine } from '@platform/clickhouse-store/testing';
import { trainChurnModel, writeChurnModelPackage } from '@platform/demo-churn';
import { createEventStreamConfig, type EventStream, KafkaJsEventStream, type OutgoingMessage } from '@platform/event-stream';
import { type ModelManifest } from '@platform/model-package';
import { parseDeadLetterMessage } from '@platform/speed-domain';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { type IngestOutcome } from './ingest-feature-events';
import { speedConsumerOn, validFeatures as features } from './testing/speed-consumer-harness';
import { testKafkaBrokers } from '@platform/event-stream/testing';

const CUTOFF = 1_700_000_000_000;

/** The speed consumer on a real broker and a real ClickHouse server. */
describe('SpeedConsumer on Kafka and a ClickHouse server', () => {
  const engine = useTestEngine('server');
  const stream: EventStream = new KafkaJsEventStream(
    createEventStreamConfig({ clientId: 'speed-integration', brokers: testKafkaBrokers(), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, fetchMaxWaitMs: 200, log: () => undefined }),
  );
  let packageDir = '';
  let manifest: ModelManifest;

  beforeAll(async () => {
    const trained = await trainChurnModel({ version: '1.0.0', seed: 3, trainRows: 5_000, holdoutRows: 1_000, batchSchedule: [1_024], baselineBatchSchedule: [1_024], hiddenUnits: [8] });
    manifest = trained.manifest;
    packageDir = join(mkdtempSync(join(tmpdir(), 'speed-model-')), 'churn');
    await writeChurnModelPackage(packageDir, trained);
    trained.model.dispose();
    await new ServingPointerRepository(engine()).append({ model: 'churn', runId: 'run-1', modelVersion: '1.0.0', dataCutoff: CUTOFF, action: 'publish', actor: 'test' });
  }, 120_000);

  it('writes every valid event once, scores the on-time ones, dead-letters the rest, and commits exactly what it wrote', async () => {
    const topic = uniqueName('events');
    const deadLetterTopic = uniqueName('dead-letters');
    const groupId = uniqueName('speed');
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 3 }, { topic: deadLetterTopic, partitions: 1 }]);

    const event = (id: number, eventTime: number) => ({ schema: 'feature-event/v1', eventId: `e${id}`, entityId: `customer-${id % 50}`, eventTime, model: 'churn', features: features(manifest) });
    const messages: OutgoingMessage[] = [];
    for (let id = 0; id < 300; id++) messages.push({ key: `customer-${id % 50}`, value: JSON.stringify(event(id, CUTOFF + 1_000 + id)) });
    for (let id = 0; id < 20; id++) messages.push({ key: `customer-${id % 50}`, value: JSON.stringify(event(id, CUTOFF + 1_000 + id)) }); // redelivered
    for (let id = 300; id < 310; id++) messages.push({ key: `customer-${id % 50}`, value: JSON.stringify(event(id, CUTOFF - 1)) }); // late
    messages.push({ key: 'x', value: '{"not json' }, { key: 'x', value: JSON.stringify({ ...event(999, CUTOFF + 5), model: 'fraud' }) });
    const producer = stream.createProducer();
    await producer.connect();
    await producer.send(topic, messages);
    await producer.disconnect();

    const runtime = await TfjsModelRuntime.create();
    const outcomes: IngestOutcome[] = [];
    const { consumer, catalog } = speedConsumerOn(engine(), stream, runtime, packageDir, {
      topic,
      deadLetterTopic,
      groupId,
      batching: { maxCount: 100, maxWaitMs: 200, minIntervalMs: 100 },
      retry: { initialMs: 100, maxMs: 2_000 },
      onBatch: (outcome) => outcomes.push(outcome),
    });
    await consumer.start();
    const deadline = Date.now() + 60_000;
    const handled = () => outcomes.reduce((sum, o) => sum + o.appended + o.duplicates + Object.values(o.deadLettered).reduce((a, b) => a + (b ?? 0), 0), 0);
    while (handled() < messages.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await consumer.stop();
    catalog.dispose();

    const events = await engine().queryRows<{ n: string }>(`SELECT uniqExact(event_id) AS n FROM ${engine().table('feature_events')}`, 'count events');
    expect(Number(events[0]!.n)).toBe(310);
    const scored = await engine().queryRows<{ n: string; versions: string[] }>(
      `SELECT uniqExact(event_id) AS n, groupUniqArray(model_version) AS versions FROM ${engine().table('speed_predictions')}`,
      'count predictions',
    );
    expect(scored[0]).toEqual({ n: '300', versions: ['1.0.0'] });

    const committed = await admin.fetchCommittedOffsets(groupId, topic);
    const total = committed.reduce((sum, { offset }) => sum + Number(offset ?? 0), 0);
    expect(total).toBe(messages.length);

    const reader = stream.createConsumer({ groupId: uniqueName('dlq-reader') });
    const letters: string[] = [];
    await reader.connect();
    await reader.subscribe([deadLetterTopic]);
    await reader.run(async ({ messages: read }) => void letters.push(...read.map((m) => parseDeadLetterMessage(m).reason)));
    const until = Date.now() + 20_000;
    while (letters.length < 2 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100));
    await reader.stop();
    await admin.disconnect();
    expect(letters.sort()).toEqual(['not-json', 'unknown-model']);
  }, 120_000);

  it("publishes every prediction it writes to the model's output topic", async () => {
    const topic = uniqueName('events');
    const outputTopic = uniqueName('predictions');
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 2 }, { topic: `${topic}-dlq`, partitions: 1 }, { topic: outputTopic, partitions: 2 }]);
    await admin.disconnect();
    const producer = stream.createProducer();
    await producer.connect();
    const event = (id: number, eventTime: number) => ({ key: `o${id % 10}`, value: JSON.stringify({ schema: 'feature-event/v1', eventId: `out-${id}`, entityId: `o${id % 10}`, eventTime, model: 'churn', features: features(manifest) }) });
    await producer.send(topic, [...Array.from({ length: 50 }, (_, id) => event(id, CUTOFF + 1 + id)), ...Array.from({ length: 5 }, (_, id) => event(50 + id, CUTOFF))]);
    await producer.disconnect();

    const batching = { maxCount: 20, maxWaitMs: 100, minIntervalMs: 50 };
    const runtime = await TfjsModelRuntime.create();
    let appended = 0;
    const { consumer, catalog } = speedConsumerOn(engine(), stream, runtime, packageDir, {
      topic,
      deadLetterTopic: `${topic}-dlq`,
      groupId: uniqueName('speed'),
      batching,
      retry: { initialMs: 100, maxMs: 1_000 },
      outputTopics: new Map([['churn', outputTopic]]),
      onBatch: (outcome) => (appended += outcome.appended),
    });
    await consumer.start();
    const reader = stream.createConsumer({ groupId: uniqueName('output-reader') });
    const published: SpeedPredictionMessage[] = [];
    await reader.connect();
    await reader.subscribe([outputTopic]);
    await reader.run(async ({ messages: read }) => {
      // The start-up catch-up re-publishes the earlier tests' entities too (same database): not counted here.
      // Read with the contract's own parser, as the query layer's topic tail reads them.
      const predictions = read.map((message) => {
        const parsed = parseSpeedPredictionMessage(message.value!.toString('utf8'), 'churn');
        if ('problem' in parsed) throw new Error(`published message breaks the contract: ${parsed.problem}`);
        return parsed.message;
      });
      published.push(...predictions.filter((prediction) => prediction.eventId.startsWith('out-')));
    });
    const deadline = Date.now() + 30_000;
    while ((appended < 55 || new Set(published.map(({ eventId }) => eventId)).size < 50) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await consumer.stop();
    await reader.stop();
    catalog.dispose();

    // The on-time events (the late ones are not scored), as written to ClickHouse. Delivery is at
    // least once: a batch whose offsets a rebalance kept from committing is scored and published
    // again (and a reader may read a batch twice after its own rebalance): the same predictions but
    // for their scoredAt (readers de-duplicate by event id), no more than one batch of them.
    const withoutScoredAt = ({ scoredAt, ...prediction }: SpeedPredictionMessage): Omit<SpeedPredictionMessage, 'scoredAt'> => prediction;
    const byEventId = new Map(published.map((message) => [message.eventId, withoutScoredAt(message)] as const));
    expect([...byEventId.keys()].sort()).toEqual(Array.from({ length: 50 }, (_, id) => `out-${id}`).sort());
    for (const message of published) expect(withoutScoredAt(message)).toEqual(byEventId.get(message.eventId));
    expect(published.length - byEventId.size).toBeLessThanOrEqual(batching.maxCount);
    const first = published.find((message) => message.eventId === 'out-7')!;
    expect(first).toMatchObject({ schema: 'speed-prediction/v1', model: 'churn', modelVersion: '1.0.0', entityId: 'o7', eventTime: CUTOFF + 8 });
    expect(Object.keys(first.outputs)).toEqual(manifest.outputs.map((output) => output.name));
    const [stored] = await new SpeedPredictionRepository(engine()).listByEntity('churn', 'o7').then((rows) => rows.filter((row) => row.eventId === 'out-7'));
    expect(Object.values(first.outputs)[0]).toBeCloseTo(stored!.outputs[0]!, 6);
  }, 120_000);

  it('rides out a ClickHouse outage mid-stream: pauses, retries, commits nothing unwritten, ends with the exact set of events', async () => {
    const proxy = await FlakyTcpProxy.start(new URL(process.env['CLICKHOUSE_URL']!));
    const viaProxy = await ClickHouseEngine.open({ kind: 'server', url: proxy.url, database: engine().database });
    const topic = uniqueName('events');
    const groupId = uniqueName('speed');
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 2 }, { topic: `${topic}-dlq`, partitions: 1 }]);
    const producer = stream.createProducer();
    await producer.connect();
    const produce = (from: number, to: number) =>
      producer.send(
        topic,
        Array.from({ length: to - from }, (_, index) => {
          const id = from + index;
          return { key: `c${id % 40}`, value: JSON.stringify({ schema: 'feature-event/v1', eventId: `outage-${id}`, entityId: `c${id % 40}`, eventTime: CUTOFF + 10 + id, model: 'churn', features: features(manifest) }) };
        }),
      );

    const runtime = await TfjsModelRuntime.create();
    let written = 0;
    const { consumer, catalog } = speedConsumerOn(viaProxy, stream, runtime, packageDir, {
      topic,
      deadLetterTopic: `${topic}-dlq`,
      groupId,
      batching: { maxCount: 50, maxWaitMs: 100, minIntervalMs: 50 },
      retry: { initialMs: 100, maxMs: 500 },
      onBatch: (outcome) => (written += outcome.appended),
    });
    const until = async (done: () => boolean) => {
      const deadline = Date.now() + 30_000;
      while (!done() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const committed = async () => (await admin.fetchCommittedOffsets(groupId, topic)).reduce((sum, { offset }) => sum + Number(offset ?? 0), 0);

    await produce(0, 100);
    await consumer.start();
    await until(() => written >= 100);
    expect(written).toBe(100);

    proxy.setDown(true);
    await produce(100, 200);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(written).toBe(100);
    expect(await committed()).toBe(100);

    proxy.setDown(false);
    await until(() => written >= 200);
    await consumer.stop();
    catalog.dispose();
    await producer.disconnect();
    expect(await committed()).toBe(200);
    await admin.disconnect();
    await viaProxy.close();
    await proxy.close();

    const ids = await engine().queryRows<{ event_id: string }>(`SELECT DISTINCT event_id FROM ${engine().table('feature_events')} WHERE event_id LIKE 'outage-%'`, 'outage events');
    expect(ids.map(({ event_id }) => event_id).sort()).toEqual(Array.from({ length: 200 }, (_, id) => `outage-${id}`).sort());
    const predicted = await engine().queryRows<{ n: string }>(`SELECT uniqExact(event_id) AS n FROM ${engine().table('speed_predictions')} WHERE event_id LIKE 'outage-%'`, 'outage predictions');
    expect(predicted[0]!.n).toBe('200');
  }, 120_000);
});
