import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '@platform/access';
import { SpeedPredictionRepository } from '@platform/clickhouse-store';
import { useTestEngine } from '@platform/clickhouse-store/testing';
import { createEventStreamConfig, KafkaJsEventStream } from '@platform/event-stream';
import { testKafkaBrokers, uniqueStreamName } from '@platform/event-stream/testing';
import { SPEED_PREDICTION_SCHEMA } from '@platform/domain';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MODEL, seedQueryTestData, startQueryTestApp } from './testing/query-test-app';

// The module's wiring with Kafka and an output topic; the tail itself is tested in libs/query-layer on both engines.
describe('query layer service tailing the output topic (KAFKA_BROKERS and SPEED_OUTPUT_TOPICS set)', () => {
  const engine = useTestEngine('server');
  const stream = new KafkaJsEventStream(createEventStreamConfig({ clientId: 'query-service-topic', brokers: testKafkaBrokers(), log: () => undefined }));
  const topic = uniqueStreamName('predictions');
  let app: NestFastifyApplication | undefined;

  afterAll(async () => {
    await app?.close();
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('serves a row published to the topic within a second, and says so in /metrics', async () => {
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 3 }]);
    await admin.disconnect();
    const keysFile = join(mkdtempSync(join(tmpdir(), 'query-topic-')), 'api-keys.json');
    const { key } = await addApiKey(keysFile, 'dashboard', ['read']);
    await seedQueryTestData(engine());
    ({ app } = await startQueryTestApp('server', engine(), keysFile, {
      KAFKA_BROKERS: testKafkaBrokers().join(','),
      SPEED_OUTPUT_TOPICS: `${MODEL}=${topic}`,
    }));
    /** The value of a metric's sample whose labels include `label` (the service's default label is on every sample). */
    const metric = async (name: string, label = ''): Promise<number | undefined> => {
      const body = (await app!.inject({ method: 'GET', url: '/metrics' })).body;
      const line = body.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(label));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const deadline = Date.now() + 10_000;
    while ((await metric('query_speed_topic_live')) !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await metric('query_speed_topic_live')).toBe(1);

    const announced = { model: MODEL, modelVersion: '1.0.0', entityId: 'a', eventId: 'ev-topic', eventTime: 3_000, scoredAt: Date.now() };
    // Written, then published: the speed layer's order.
    await new SpeedPredictionRepository(engine()).insert([{ ...announced, outputs: [0.375], source: { topic: 'features', partition: 0, offset: '7' } }]);
    const producer = stream.createProducer();
    await producer.connect();
    const publishedAt = Date.now();
    await producer.send(topic, [{ key: 'a', value: JSON.stringify({ schema: SPEED_PREDICTION_SCHEMA, ...announced, outputs: { churn_probability: 0.375 } }) }]);
    await producer.disconnect();
    let answer: Record<string, unknown> = {};
    while (answer['eventId'] !== 'ev-topic' && Date.now() - publishedAt < 1_000) {
      // A pause between requests: back-to-back inject() calls would keep the consumer's socket from being read.
      await new Promise((resolve) => setTimeout(resolve, 5));
      answer = (await app.inject({ method: 'GET', url: `/models/${MODEL}/predictions/a`, headers: { 'x-api-key': key } })).json();
    }
    expect(answer).toMatchObject({ source: 'speed', eventId: 'ev-topic', outputs: [0.375] });
    expect(await metric('query_speed_rows_total', 'source="topic"')).toBe(1);
  });
});
