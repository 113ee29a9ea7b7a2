import { type CurrentRun, type SpeedPrediction, SPEED_PREDICTION_SCHEMA } from '@platform/domain';
import {
  type AssignmentListener,
  type BatchHandler,
  type CommitPosition,
  type ConsumerCrashListener,
  type EventStream,
  type EventStreamConsumer,
  EventStreamUnavailableError,
  InProcessEventStream,
} from '@platform/event-stream';
import { type QueryLog } from './serving-state-sync';
import { type SpeedRowSource } from './speed-tail';
import { SpeedTopicFeed } from './speed-topic-feed';
import { type SpeedRowCounts, topicSpeedRowSources } from './topic-speed-row-source';

const TOPIC = 'predictions.churn';
const CURRENT: CurrentRun = { runId: 'run-1', modelVersion: 'v1', dataCutoff: 1_000 };

function message(entityId: string, eventTime: number, scoredAt: number, score = 0.1): string {
  return JSON.stringify({
    schema: SPEED_PREDICTION_SCHEMA,
    model: 'churn',
    modelVersion: 'v1',
    entityId,
    eventId: `e-${entityId}-${eventTime}`,
    eventTime,
    outputs: { churn_probability: score, tenure_risk: 0.5 },
    scoredAt,
  });
}

function row(entityId: string, eventTime: number, scoredAt: number): SpeedPrediction {
  return { model: 'churn', modelVersion: 'v1', entityId, eventId: `e-${entityId}-${eventTime}`, eventTime, outputs: [0.25], scoredAt, source: { topic: 'features', partition: 0, offset: '0' } };
}

/** The store's rows, and every `scoredFrom` it was asked for. */
function fakeStore(rows: SpeedPrediction[]): SpeedRowSource & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    readSpeedRows: async (_model, _current, scoredFrom) => {
      reads.push(scoredFrom);
      return rows.filter((candidate) => candidate.scoredAt >= scoredFrom);
    },
  };
}

function recordingLog(): QueryLog & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return { warnings, infos, info: (_fields, text) => infos.push(text), warn: (_fields, text) => warnings.push(text), error: () => undefined };
}

async function settled(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 30));
}

describe('SpeedTopicFeed and TopicSpeedRowSource', () => {
  let clock = 100_000;
  const now = () => clock;
  const feeds: SpeedTopicFeed[] = [];

  afterEach(async () => {
    await Promise.all(feeds.splice(0).map((feed) => feed.stop()));
  });

  async function startFeed(stream: InProcessEventStream, log: QueryLog = recordingLog()): Promise<SpeedTopicFeed> {
    const feed = new SpeedTopicFeed(stream, { topicsByModel: new Map([['churn', TOPIC]]), groupId: 'query-test', restartDelayMs: 50, readerIdleMs: 10_000 }, log, now);
    feeds.push(feed);
    await feed.start();
    return feed;
  }

  async function streamWithTopic(): Promise<InProcessEventStream> {
    const stream = new InProcessEventStream();
    await stream.createAdmin().createTopics([{ topic: TOPIC, partitions: 2 }]);
    return stream;
  }

  it('reads the store first, then serves what the topic delivers without asking the store, until a reconciliation is due', async () => {
    const stream = await streamWithTopic();
    const producer = stream.createProducer();
    await producer.send(TOPIC, [{ key: 'old', value: message('old', 2_000, 50_000) }]);
    const log = recordingLog();
    const feed = await startFeed(stream, log);
    expect(feed.live).toBe(true);
    const store = fakeStore([row('a', 2_000, 90_000)]);
    const counts: SpeedRowCounts = { topic: 0, store: 0 };
    const source = topicSpeedRowSources(feed, { reconcileIntervalMs: 30_000, overlapMs: 5_000 }, counts, now)('churn', store);
    expect(source).not.toBe(store);

    expect((await source.readSpeedRows('churn', CURRENT, 0)).map((r) => r.entityId)).toEqual(['a']);
    // Published before the feed was positioned: not delivered (the store had it), whatever the group's reset.
    await producer.send(TOPIC, [
      { key: 'b', value: message('b', 3_000, 95_000, 0.1) },
      { key: 'c', value: '{"not": "a prediction"' },
      { key: 'd', value: message('d', 900, 95_000) },
      { key: 'e', value: JSON.stringify({ ...JSON.parse(message('e', 3_000, 95_000)), model: 'upsell' }) },
    ]);
    await settled();
    const fromTopic = await source.readSpeedRows('churn', CURRENT, 85_000);
    // d's event is at or before the cut-off: not eligible under the current run.
    expect(fromTopic).toEqual([
      expect.objectContaining({ entityId: 'b', eventId: 'e-b-3000', eventTime: 3_000, scoredAt: 95_000, outputs: [Math.fround(0.1), 0.5], source: expect.objectContaining({ topic: TOPIC }) }),
    ]);
    expect(store.reads).toEqual([0]);
    expect(feed.malformedMessages).toBe(2);
    expect(log.warnings.filter((text) => text.includes('malformed'))).toHaveLength(2);
    expect(log.warnings.find((text) => text.includes('malformed'))).toMatch(new RegExp(`${TOPIC}/\\d@\\d+: not JSON`));

    clock += 30_000;
    await source.readSpeedRows('churn', CURRENT, 90_000);
    // The reconciliation starts from the latest row the store gave minus the overlap.
    expect(store.reads).toEqual([0, 85_000]);
    expect(counts).toEqual({ topic: 1, store: 2 });
  });

  it('polls the store while the feed is not live, and a state whose tail stopped taking is dropped and reads the store again', async () => {
    const notStarted = new SpeedTopicFeed(new InProcessEventStream(), { topicsByModel: new Map([['churn', TOPIC]]), groupId: 'g', restartDelayMs: 50, readerIdleMs: 10_000 }, recordingLog(), now);
    const store = fakeStore([row('a', 2_000, 90_000)]);
    const polling = topicSpeedRowSources(notStarted, { reconcileIntervalMs: 30_000, overlapMs: 5_000 }, { topic: 0, store: 0 })('churn', store);
    await polling.readSpeedRows('churn', CURRENT, 0);
    await polling.readSpeedRows('churn', CURRENT, 85_000);
    expect(store.reads).toEqual([0, 85_000]);
    expect(topicSpeedRowSources(notStarted, { reconcileIntervalMs: 1, overlapMs: 1 }, { topic: 0, store: 0 })('upsell', store)).toBe(store);

    const stream = await streamWithTopic();
    const feed = await startFeed(stream);
    const idleStore = fakeStore([]);
    const idle = topicSpeedRowSources(feed, { reconcileIntervalMs: 30_000, overlapMs: 5_000 }, { topic: 0, store: 0 })('churn', idleStore);
    await idle.readSpeedRows('churn', CURRENT, 0);
    clock += 20_000;
    await stream.createProducer().send(TOPIC, [{ key: 'b', value: message('b', 3_000, 95_000) }]);
    await settled();
    expect(await idle.readSpeedRows('churn', CURRENT, 0)).toEqual([]);
    expect(idleStore.reads).toEqual([0, 0]);
  });

  it('retries a consumer that cannot start (missing topic), logging the outage once, and goes live when it can', async () => {
    const stream = new InProcessEventStream();
    const log = recordingLog();
    const feed = await startFeed(stream, log);
    expect(feed.live).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(log.warnings.filter((text) => text.includes('unavailable'))).toHaveLength(1);
    await stream.createAdmin().createTopics([{ topic: TOPIC, partitions: 1 }]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(feed.live).toBe(true);
    expect(log.infos.filter((text) => text.includes('live'))).toHaveLength(1);
  });

  it('falls back to the store when the consumer crashes, and after the rejoin seeks to the new log ends and reads the store once more', async () => {
    const scripted = scriptedStream();
    const log = recordingLog();
    const feed = new SpeedTopicFeed(scripted.stream, { topicsByModel: new Map([['churn', TOPIC]]), groupId: 'g', restartDelayMs: 50, readerIdleMs: 10_000 }, log, now);
    feeds.push(feed);
    await feed.start();
    expect(scripted.seeks).toEqual([{ topic: TOPIC, partition: 0, offset: '7' }]);
    const store = fakeStore([row('a', 2_000, 90_000)]);
    const source = topicSpeedRowSources(feed, { reconcileIntervalMs: 30_000, overlapMs: 5_000 }, { topic: 0, store: 0 }, now)('churn', store);
    await source.readSpeedRows('churn', CURRENT, 0);
    await scripted.deliver(message('b', 3_000, 95_000));
    expect((await source.readSpeedRows('churn', CURRENT, 85_000)).map((r) => r.entityId)).toEqual(['b']);

    scripted.crash(true);
    expect(feed.live).toBe(false);
    // Delivered while down (before the rejoin's seek): not buffered; the store has it.
    await scripted.deliver(message('c', 3_000, 96_000));
    await source.readSpeedRows('churn', CURRENT, 91_000);
    await source.readSpeedRows('churn', CURRENT, 91_000);
    expect(store.reads).toEqual([0, 85_000, 85_000]);
    expect(log.warnings.filter((text) => text.includes('unavailable'))).toHaveLength(1);

    scripted.ends = '12';
    scripted.join();
    await settled();
    expect(feed.live).toBe(true);
    expect(scripted.seeks.at(-1)).toEqual({ topic: TOPIC, partition: 0, offset: '12' });
    await source.readSpeedRows('churn', CURRENT, 91_000);
    expect(store.reads).toHaveLength(4);
    await scripted.deliver(message('d', 3_000, 97_000));
    expect((await source.readSpeedRows('churn', CURRENT, 91_000)).map((r) => r.entityId)).toEqual(['d']);
    expect(store.reads).toHaveLength(4);
  });
});

/** A consumer the test drives: joins (one partition), crashes, deliveries; records seeks. */
function scriptedStream() {
  const assignmentListeners: AssignmentListener[] = [];
  const crashListeners: ConsumerCrashListener[] = [];
  let handler: BatchHandler | undefined;
  let offset = 0;
  const scripted = {
    ends: '7',
    seeks: [] as CommitPosition[],
    join: () => assignmentListeners.forEach((listener) => listener([{ topic: TOPIC, partitions: [0] }])),
    crash: (restarting: boolean) =>
      crashListeners.forEach((listener) => listener(new EventStreamUnavailableError('connection refused', { operation: 'consume', groupId: 'g' }), restarting)),
    deliver: (value: string) => handler!({ topic: TOPIC, partition: 0, messages: [{ topic: TOPIC, partition: 0, offset: String(offset++), key: null, value: Buffer.from(value), headers: {}, timestamp: 0 }] }),
    stream: undefined as unknown as EventStream,
  };
  const consumer: EventStreamConsumer = {
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (runHandler) => {
      handler = runHandler;
      scripted.join();
      return [{ topic: TOPIC, partitions: [0] }];
    },
    commit: async () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    seek: (position) => void scripted.seeks.push(position),
    onAssignment: (listener) => {
      assignmentListeners.push(listener);
      return () => undefined;
    },
    onCrash: (listener) => {
      crashListeners.push(listener);
      return () => undefined;
    },
    stop: async () => undefined,
  };
  const unused = (): never => {
    throw new Error('not used');
  };
  scripted.stream = {
    createConsumer: () => consumer,
    createProducer: unused,
    createAdmin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      createTopics: unused,
      deleteTopics: unused,
      fetchCommittedOffsets: unused,
      fetchTopicOffsets: async () => [{ partition: 0, earliest: '0', end: scripted.ends }],
    }),
  };
  return scripted;
}
