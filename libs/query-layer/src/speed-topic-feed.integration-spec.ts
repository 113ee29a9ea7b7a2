import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import { BatchPredictionRepository, ServingPointerRepository, SpeedPredictionRepository } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { type SpeedPrediction, SPEED_PREDICTION_SCHEMA } from '@platform/domain';
import { createEventStreamConfig, type EventStream, KafkaJsEventStream, type OutgoingMessage } from '@platform/event-stream';
import { testKafkaBrokers, uniqueStreamName } from '@platform/event-stream/testing';
import { ServingState } from '@platform/query-domain';
import { ServingStateReader } from './serving-state-reader';
import { type QueryLog, ServingStateSync } from './serving-state-sync';
import { SpeedTopicFeed } from './speed-topic-feed';
import { type SpeedRowCounts, topicSpeedRowSources } from './topic-speed-row-source';

const MODEL = 'churn';
const RECONCILE_INTERVAL_MS = 3_000;

/** What the speed layer's PredictionTopics publishes for a row (libs/speed-layer, which this lib may not import). */
function published(row: SpeedPrediction): OutgoingMessage {
  const { model, modelVersion, entityId, eventId, eventTime, scoredAt } = row;
  return {
    key: entityId,
    value: JSON.stringify({ schema: SPEED_PREDICTION_SCHEMA, model, modelVersion, entityId, eventId, eventTime, outputs: { churn_probability: row.outputs[0] }, scoredAt }),
  };
}

function speedRow(entityId: string, eventId: string, score: number): SpeedPrediction {
  return {
    model: MODEL,
    modelVersion: '1.0.0',
    entityId,
    eventId,
    eventTime: 20_000,
    outputs: [score],
    scoredAt: Date.now(),
    source: { topic: 'features', partition: 0, offset: '0' },
  };
}

async function eventually(check: () => void, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    try {
      check();
      return Date.now() - started;
    } catch (error) {
      if (Date.now() - started > timeoutMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
}

const silentLog: QueryLog = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe.each(ENGINE_KINDS)('the query layer tailing an output topic, on %s', (kind) => {
  const engine = useTestEngine(kind);
  const stream: EventStream = new KafkaJsEventStream(
    createEventStreamConfig({ clientId: 'query-topic-tail', brokers: testKafkaBrokers(), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, fetchMaxWaitMs: 100, log: () => undefined }),
  );
  const topic = uniqueStreamName('predictions');

  beforeAll(async () => {
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 3 }]);
    await admin.disconnect();
    await new BatchPredictionRepository(engine()).insert(
      Array.from({ length: 100 }, (_, k) => ({ model: MODEL, runId: 'run-1', entityId: `customer-${k}`, outputs: [0.5], scoredAt: 1_000 })),
    );
    await new ServingPointerRepository(engine()).append({ model: MODEL, runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 10_000, action: 'publish', actor: 'test' });
  });

  afterAll(async () => {
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.deleteTopics([topic]);
    await admin.disconnect();
  });

  it('serves published rows within a second, a row never published after reconciliation, and skips malformed messages', async () => {
    const producer = stream.createProducer();
    await producer.connect();
    const speedRows = new SpeedPredictionRepository(engine());
    // Written and published before the query layer starts: its first ClickHouse read has it.
    const early = speedRow('customer-1', 'early', 0.25);
    await speedRows.insert([early]);
    await producer.send(topic, [published(early)]);

    const feed = new SpeedTopicFeed(stream, { topicsByModel: new Map([[MODEL, topic]]), groupId: uniqueStreamName('query-layer'), restartDelayMs: 500, readerIdleMs: 60_000 }, silentLog);
    const counts: SpeedRowCounts = { topic: 0, store: 0 };
    const serving = new ServingState();
    const e = engine();
    // Not typed at the literal: options grow (other modes) and only these matter here.
    const options = {
      pointerPollMs: 60_000,
      speedPollMs: 50,
      speedOverlapMs: 2_000,
      stateMaxBytes: 64 * 1024 * 1024,
      storeBackedCacheEntries: 1_000,
      speedRowSources: topicSpeedRowSources(feed, { reconcileIntervalMs: RECONCILE_INTERVAL_MS, overlapMs: 2_000 }, counts),
    };
    const sync = new ServingStateSync(serving, new ServingPointerRepository(e), new ServingStateReader(e, bulkColumnarIoFor(e)), options, silentLog);
    try {
      await feed.start();
      expect(feed.live).toBe(true);
      await sync.start();
      expect(serving.answer(MODEL, 'customer-1')).toMatchObject({ source: 'speed', eventId: 'early' });
      expect(counts).toEqual({ topic: 0, store: 1 });

      // Written, then published (the speed layer's order): served from the topic.
      const fresh = [speedRow('customer-2', 'fresh-2', 0.125), speedRow('customer-3', 'fresh-3', 0.375)];
      await speedRows.insert(fresh);
      const publishedAt = Date.now();
      await producer.send(topic, fresh.map(published));
      await eventually(() => {
        expect(serving.answer(MODEL, 'customer-2')).toMatchObject({ source: 'speed', eventId: 'fresh-2', outputs: [0.125] });
        expect(serving.answer(MODEL, 'customer-3')).toMatchObject({ source: 'speed', eventId: 'fresh-3', outputs: [0.375] });
      }, 1_000);
      const sincePublishMs = Date.now() - publishedAt;
      expect(sincePublishMs).toBeLessThanOrEqual(1_000);
      // Delivered by the topic (a reconciliation may also have read them if the machine is slow).
      expect(counts.topic).toBe(2);
      process.stdout.write(`[${kind}] published rows served ${sincePublishMs} ms after the send\n`);

      // Malformed messages are skipped and counted; the valid message after them is still served.
      const after = speedRow('customer-4', 'after-malformed', 0.625);
      await speedRows.insert([after]);
      await producer.send(topic, [
        { key: 'customer-4', value: 'not json' },
        { key: 'customer-4', value: JSON.stringify({ schema: 'speed-prediction/v0', model: MODEL }) },
        published(after),
      ]);
      await eventually(() => expect(serving.answer(MODEL, 'customer-4')).toMatchObject({ source: 'speed', eventId: 'after-malformed' }), 2_000);
      expect(feed.malformedMessages).toBe(2);
      expect(counts.topic).toBe(3);

      // Written but never published (a message the consumer missed): served after the next reconciliation.
      const missed = speedRow('customer-5', 'never-published', 0.875);
      await speedRows.insert([missed]);
      const writtenAt = Date.now();
      await eventually(() => expect(serving.answer(MODEL, 'customer-5')).toMatchObject({ source: 'speed', eventId: 'never-published' }), RECONCILE_INTERVAL_MS + 2_000);
      process.stdout.write(`[${kind}] a row never published served ${Date.now() - writtenAt} ms after its write (reconciliation every ${RECONCILE_INTERVAL_MS} ms)\n`);
    } finally {
      await sync.stop();
      await feed.stop();
      await producer.disconnect();
    }
  });

  it('polls ClickHouse while the broker cannot be reached, and logs the outage once', async () => {
    const unreachable = new KafkaJsEventStream(
      createEventStreamConfig({ clientId: 'query-topic-tail', brokers: ['127.0.0.1:1'], connectionTimeoutMs: 200, retry: { initialRetryTimeMs: 50, maxRetryTimeMs: 200, retries: 1 }, log: () => undefined }),
    );
    const warnings: string[] = [];
    const log: QueryLog = { ...silentLog, warn: (_fields, message) => warnings.push(message) };
    const feed = new SpeedTopicFeed(unreachable, { topicsByModel: new Map([[MODEL, topic]]), groupId: uniqueStreamName('query-layer'), restartDelayMs: 100, readerIdleMs: 60_000 }, log);
    const counts: SpeedRowCounts = { topic: 0, store: 0 };
    const e = engine();
    const options = {
      pointerPollMs: 60_000,
      speedPollMs: 50,
      speedOverlapMs: 2_000,
      stateMaxBytes: 64 * 1024 * 1024,
      storeBackedCacheEntries: 1_000,
      // No reconciliation within the test: only the fallback poll can serve the row.
      speedRowSources: topicSpeedRowSources(feed, { reconcileIntervalMs: 600_000, overlapMs: 2_000 }, counts),
    };
    const serving = new ServingState();
    const sync = new ServingStateSync(serving, new ServingPointerRepository(e), new ServingStateReader(e, bulkColumnarIoFor(e)), options, silentLog);
    try {
      await feed.start();
      expect(feed.live).toBe(false);
      await sync.start();
      await new SpeedPredictionRepository(e).insert([speedRow('customer-6', 'while-broker-away', 0.5)]);
      await eventually(() => expect(serving.answer(MODEL, 'customer-6')).toMatchObject({ source: 'speed', eventId: 'while-broker-away' }), 1_000);
      await new Promise((resolve) => setTimeout(resolve, 500)); // a few more attempts to start the consumer
      expect(feed.live).toBe(false);
      expect(counts.topic).toBe(0);
      expect(warnings.filter((message) => message.includes('unavailable'))).toHaveLength(1);
    } finally {
      await sync.stop();
      await feed.stop();
    }
  });
});
