import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServingPointerRepository } from '@platform/clickhouse-store';
import { uniqueName, useTestEngine } from '@platform/clickhouse-store/testing';
import { trainChurnModel, writeChurnModelPackage } from '@platform/demo-churn';
import { createEventStreamConfig, type EventStream, KafkaJsEventStream } from '@platform/event-stream';
import { testKafkaBrokers } from '@platform/event-stream/testing';
import { type ModelManifest } from '@platform/model-package';
import { type DeadLetterReason } from '@platform/speed-domain';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { deadLetterReplayGroup, inspectDeadLetters, replayDeadLetters } from './dead-letter-replay';
import { type IngestOutcome } from './ingest-feature-events';
import { speedConsumerOn, validFeatures } from './testing/speed-consumer-harness';

/**
 * The fix-and-replay loop on a real broker and ClickHouse server: events of a model with no
 * published run are dead-lettered by the real pipeline (unknown-model), a malformed one too; once a
 * run is published, replaying the unknown-model letters gets exactly those events scored, and a
 * second replay sends nothing.
 */
describe('dead-letter replay on a real broker', () => {
  const engine = useTestEngine('server');
  const stream: EventStream = new KafkaJsEventStream(
    createEventStreamConfig({ clientId: 'dlq-replay', brokers: testKafkaBrokers(), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, fetchMaxWaitMs: 100, log: () => undefined }),
  );
  let packageDir = '';
  let manifest: ModelManifest;

  beforeAll(async () => {
    const trained = await trainChurnModel({ version: '1.0.0', seed: 5, trainRows: 4_000, holdoutRows: 1_000, batchSchedule: [1_024], baselineBatchSchedule: [1_024], hiddenUnits: [8] });
    manifest = trained.manifest;
    packageDir = join(mkdtempSync(join(tmpdir(), 'dlq-replay-model-')), 'churn');
    await writeChurnModelPackage(packageDir, trained);
    trained.model.dispose();
  }, 120_000);

  it('replays unknown-model letters after the model is published: each event scored once', async () => {
    const topic = uniqueName('dlq-events');
    const deadLetterTopic = `${topic}-dlq`;
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 2 }, { topic: deadLetterTopic, partitions: 2 }]);
    await admin.disconnect();
    const runtime = await TfjsModelRuntime.create();
    const handled: IngestOutcome[] = [];
    const { consumer } = speedConsumerOn(engine(), stream, runtime, packageDir, {
      topic,
      deadLetterTopic,
      groupId: uniqueName('dlq-speed'),
      batching: { maxCount: 200, maxWaitMs: 100, minIntervalMs: 100 },
      retry: { initialMs: 100, maxMs: 1_000 },
      servingRefreshMs: 200,
      onBatch: (outcome) => handled.push(outcome),
    });
    await consumer.start();
    const waitFor = async (done: () => boolean | Promise<boolean>, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const scored = async () =>
      (await engine().queryRows<{ event_id: string }>(`SELECT DISTINCT event_id FROM ${engine().table('speed_predictions')} WHERE model = 'churn' ORDER BY event_id`, 'scored events')).map(
        ({ event_id }) => event_id,
      );
    const producer = stream.createProducer();
    await producer.connect();
    const eventIds = Array.from({ length: 30 }, (_, index) => `dlq-${String(index).padStart(2, '0')}`);
    try {
      await producer.send(topic, [
        ...eventIds.map((eventId, index) => ({
          key: `c${index}`,
          value: JSON.stringify({ schema: 'feature-event/v1', eventId, entityId: `c${index}`, eventTime: Date.now(), model: 'churn', features: validFeatures(manifest) }),
          headers: { trace: eventId },
        })),
        { key: 'broken', value: '{"not json' },
      ]);
      const letters = () => handled.reduce((sum, outcome) => sum + Object.values(outcome.deadLettered).reduce((total, count) => total + count, 0), 0);
      await waitFor(() => letters() >= 31, 30_000);
      expect(letters()).toBe(31);

      const replayGroupId = deadLetterReplayGroup(uniqueName('dlq-replay'));
      const unknownModel = { reasons: new Set<DeadLetterReason>(['unknown-model']) };
      const inspection = await inspectDeadLetters(stream, { deadLetterTopic, replayGroupId, selection: unknownModel, limit: 5 });
      expect(inspection).toMatchObject({ byReason: { 'unknown-model': 30, 'not-json': 1 }, pendingByReason: { 'unknown-model': 30, 'not-json': 1 }, });
      expect(inspection.samples).toHaveLength(5);
      expect(inspection.samples[0]).toMatchObject({ reason: 'unknown-model', source: { topic } });

      // The fix: a run of the model is published.
      await new ServingPointerRepository(engine()).append({ model: 'churn', runId: 'run-1', modelVersion: '1.0.0', dataCutoff: 1_700_000_000_000, action: 'publish', actor: 'test' });
      const dryRun = await replayDeadLetters(stream, { deadLetterTopic, replayGroupId, targetTopic: topic, selection: unknownModel, dryRun: true });
      expect(dryRun).toMatchObject({ read: 31, replayed: 30, passedOver: 1, committed: [] });

      const replay = await replayDeadLetters(stream, { deadLetterTopic, replayGroupId, targetTopic: topic, selection: unknownModel, dryRun: false });
      expect(replay).toMatchObject({ read: 31, replayed: 30, passedOver: 1, replayedByReason: { 'unknown-model': 30 } });
      expect(replay.committed.reduce((sum, { offset }) => sum + Number(offset), 0)).toBe(31);
      await waitFor(async () => (await scored()).length >= 30, 30_000);
      expect(await scored()).toEqual(eventIds);
      expect(letters()).toBe(31);

      expect(await replayDeadLetters(stream, { deadLetterTopic, replayGroupId, targetTopic: topic, selection: {}, dryRun: false })).toMatchObject({ read: 0, replayed: 0 });
      const after = await inspectDeadLetters(stream, { deadLetterTopic, replayGroupId, selection: {}, limit: 0 });
      expect(after.pendingByReason).toEqual({});
    } finally {
      await producer.disconnect();
      await consumer.stop();
    }
  }, 120_000);
});
