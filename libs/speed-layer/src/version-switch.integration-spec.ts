import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ServingPointerAction } from '@platform/domain';
import { ServingPointerRepository } from '@platform/clickhouse-store';
import { ENGINE_KINDS, uniqueName, useTestEngine } from '@platform/clickhouse-store/testing';
import { trainChurnModel, writeChurnModelPackage } from '@platform/demo-churn';
import { createEventStreamConfig, type EventStream, KafkaJsEventStream } from '@platform/event-stream';
import { testKafkaBrokers } from '@platform/event-stream/testing';
import { type ModelManifest } from '@platform/model-package';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { type CatchUpOutcome } from './catch-up';
import { type IngestOutcome } from './ingest-feature-events';
import { speedConsumerOn, validFeatures } from './testing/speed-consumer-harness';

const FIRST_CUTOFF = 1_700_000_000_000;
/** How soon after a publish or rollback every entity with a newer event must be served its latest event, on the new version. */
const SWITCH_BOUND_MS = 5_000;

interface Served {
  entity_id: string;
  source: string;
  model_version: string;
  event_id: string;
}

/**
 * A publish and a rollback mid-stream on a real broker: every answer the merged view serves carries
 * the current version, and every entity with an event newer than the new cut-off is served its
 * latest event within SWITCH_BOUND_MS — including entities whose last event came before the
 * switch (scored with the old version), which only the catch-up re-scores.
 */
describe.each(ENGINE_KINDS)('speed layer version switch on %s', (kind) => {
  const engine = useTestEngine(kind);
  const stream: EventStream = new KafkaJsEventStream(
    createEventStreamConfig({ clientId: 'speed-switch', brokers: testKafkaBrokers(), sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, fetchMaxWaitMs: 100, log: () => undefined }),
  );
  let packageDir = '';
  let manifest: ModelManifest;

  beforeAll(async () => {
    const trained = await trainChurnModel({ version: '1.0.0', seed: 5, trainRows: 4_000, holdoutRows: 1_000, batchSchedule: [1_024], baselineBatchSchedule: [1_024], hiddenUnits: [8] });
    manifest = trained.manifest;
    packageDir = join(mkdtempSync(join(tmpdir(), 'speed-switch-model-')), 'churn');
    await writeChurnModelPackage(packageDir, trained);
    trained.model.dispose();
  }, 120_000);

  it('serves only the current version and catches up every entity with a newer event after a publish and a rollback', async () => {
    const pointers = new ServingPointerRepository(engine());
    const point = (runId: string, modelVersion: string, dataCutoff: number, action: ServingPointerAction) =>
      pointers.append({ model: 'churn', runId, modelVersion, dataCutoff, action, actor: 'test' });
    await point('run-1', '1.0.0', FIRST_CUTOFF, 'publish');

    const topic = uniqueName('switch-events');
    const admin = stream.createAdmin();
    await admin.connect();
    await admin.createTopics([{ topic, partitions: 3 }, { topic: `${topic}-dlq`, partitions: 1 }]);
    await admin.disconnect();
    const runtime = await TfjsModelRuntime.create();
    const handled: IngestOutcome[] = [];
    const catchUps: CatchUpOutcome[] = [];
    const { consumer, catalog } = speedConsumerOn(engine(), stream, runtime, packageDir, {
      topic,
      deadLetterTopic: `${topic}-dlq`,
      groupId: uniqueName('switch'),
      batching: { maxCount: 200, maxWaitMs: 100, minIntervalMs: 100 },
      retry: { initialMs: 100, maxMs: 1_000 },
      servingRefreshMs: 200,
      onBatch: (outcome) => handled.push(outcome),
      onCatchUp: (outcome) => catchUps.push(outcome),
    });
    await consumer.start();
    const producer = stream.createProducer();
    await producer.connect();
    let produced = 0;
    // Events of entities `${prefix}0..19`, event times rising by 1 ms per event.
    const produce = async (prefix: string, count: number) => {
      const messages = Array.from({ length: count }, (_, index) => {
        const id = produced + index;
        const entityId = `${prefix}${id % 20}`;
        return { key: entityId, value: JSON.stringify({ schema: 'feature-event/v1', eventId: `switch-${id}`, entityId, eventTime: FIRST_CUTOFF + 1_000 + id, model: 'churn', features: validFeatures(manifest) }) };
      });
      produced += count;
      await producer.send(topic, messages);
    };
    const appended = () => handled.reduce((sum, outcome) => sum + outcome.appended, 0);
    const waitFor = async (done: () => boolean | Promise<boolean>, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!(await done()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    const served = async (): Promise<Served[]> =>
      engine().queryRows<Served>(`SELECT entity_id, source, model_version, event_id FROM ${engine().table('predictions_latest')} WHERE model = 'churn' ORDER BY entity_id`, 'merged view');
    /** Each entity with an event after `cutoff`: its latest event id (ties by the larger id). */
    const latestAfter = async (cutoff: number): Promise<Map<string, string>> => {
      const rows = await engine().queryRows<{ entity_id: string; event_id: string }>(
        `SELECT entity_id, event_id FROM ${engine().table('feature_events')} WHERE model = 'churn' AND event_time > ${cutoff}
         ORDER BY entity_id, event_time DESC, event_id DESC LIMIT 1 BY entity_id`,
        'latest events',
      );
      return new Map(rows.map((row) => [row.entity_id, row.event_id]));
    };
    /** The merged view serves exactly the entities with newer events, each its latest, all on `version`. */
    const consistent = async (cutoff: number, version: string): Promise<boolean> => {
      const expected = await latestAfter(cutoff);
      const rows = await served();
      return rows.length === expected.size && rows.every((row) => row.source === 'speed' && row.model_version === version && expected.get(row.entity_id) === row.event_id);
    };

    // Version 1.0.0 scores the first 400 events (entities a0..a19).
    await produce('a', 400);
    await waitFor(() => appended() >= 400, 30_000);
    expect(await consistent(FIRST_CUTOFF, '1.0.0')).toBe(true);

    // A run of 2.0.0 is published with a cut-off inside the stream: events 0..199 are in it, the
    // a-entities' later events were scored with 1.0.0 and only a catch-up re-scores them. New
    // events (entities b0..b19) keep flowing across the switch.
    const secondCutoff = FIRST_CUTOFF + 1_000 + 199;
    await point('run-2', '2.0.0', secondCutoff, 'publish');
    const published = Date.now();
    await produce('b', 200);
    await waitFor(() => consistent(secondCutoff, '2.0.0'), SWITCH_BOUND_MS);
    const publishSwitchMs = Date.now() - published;
    await waitFor(() => appended() >= 600, 30_000);
    await waitFor(() => consistent(secondCutoff, '2.0.0'), SWITCH_BOUND_MS);
    expect(await consistent(secondCutoff, '2.0.0')).toBe(true);
    expect(await served()).toHaveLength(40);

    // Rollback to run-1: every entity with an event after its cut-off, b-entities scored only with
    // 2.0.0 included, is served again on 1.0.0.
    await point('run-1', '1.0.0', FIRST_CUTOFF, 'rollback');
    const rolledBack = Date.now();
    await waitFor(() => consistent(FIRST_CUTOFF, '1.0.0'), SWITCH_BOUND_MS);
    const rollbackSwitchMs = Date.now() - rolledBack;
    expect(await consistent(FIRST_CUTOFF, '1.0.0')).toBe(true);

    await consumer.stop();
    await producer.disconnect();
    catalog.dispose();
    const events = await engine().queryRows<{ n: string }>(`SELECT uniqExact(event_id) AS n FROM ${engine().table('feature_events')}`, 'events');
    expect(events[0]!.n).toBe('600');
    expect(catchUps.map(({ modelVersion, entities }) => [modelVersion, entities])).toEqual([
      ['1.0.0', 0],
      ['2.0.0', 20],
      ['1.0.0', 40],
    ]);
    process.stdout.write(`version switch on ${kind}: publish served consistently after ${publishSwitchMs} ms, rollback after ${rollbackSwitchMs} ms (bound ${SWITCH_BOUND_MS} ms); catch-ups ${JSON.stringify(catchUps)}\n`);
  }, 180_000);
});
