import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { commitPositionsAfter } from './commit-positions';
import { consumerLag } from './consumer-lag';
import {
  type CommitPosition,
  type ConsumedMessage,
  type EventStreamAdmin,
  type EventStreamConsumer,
  type EventStreamProducer,
} from './event-stream';
import { createEventStreamConfig } from './event-stream-config';
import { ConsumerNotRunningError, TopicNotFoundError } from './event-stream-errors';
import { type EventStreamLogEntry } from './event-stream-log';
import { KafkaJsEventStream } from './kafkajs-event-stream';
import { testKafkaBrokers, uniqueStreamName } from './testing';

const execFileAsync = promisify(execFile);

const brokers = testKafkaBrokers();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Reads the whole topic with kcat: an independent client, not ours. */
async function kcat(topic: string, format: string): Promise<string> {
  const args = ['-b', brokers.join(','), '-C', '-t', topic, '-e', '-q', '-f', format];
  const { stdout } = await execFileAsync('kcat', args);
  return stdout;
}

const text = (buffer: Buffer | null): string | null => buffer?.toString('utf8') ?? null;
const position = ({ partition, offset }: { partition: number; offset: string }): string => `${partition}@${offset}`;

describe('KafkaJsEventStream on a real broker', () => {
  const clientLog: EventStreamLogEntry[] = [];
  const stream = new KafkaJsEventStream(
    createEventStreamConfig({
      clientId: 'event-stream-integration',
      brokers,
      // The broker's minimum session; a short heartbeat and fetch wait keep joins and stops quick.
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      fetchMaxWaitMs: 200,
      retry: { initialRetryTimeMs: 100, maxRetryTimeMs: 1_000, retries: 3 },
      log: (entry) => void clientLog.push(entry),
    }),
  );
  let admin: EventStreamAdmin;
  let producer: EventStreamProducer;
  const topicsToDelete: string[] = [];
  const consumersToStop: EventStreamConsumer[] = [];

  beforeAll(async () => {
    admin = stream.createAdmin();
    producer = stream.createProducer();
    await admin.connect();
    await producer.connect();
  });

  afterEach(async () => {
    await Promise.all(consumersToStop.splice(0).map((consumer) => consumer.stop()));
    await admin.deleteTopics(topicsToDelete.splice(0));
  });

  afterAll(async () => {
    await producer.disconnect();
    await admin.disconnect();
  });

  it('creates a topic with the retention asked for', async () => {
    const topic = uniqueStreamName('retention');
    await admin.createTopics([{ topic, partitions: 1, retentionMs: 3_600_000 }]);
    topicsToDelete.push(topic);
    // Read back with kafkajs itself: the port has no describe call, and needs none.
    const inspector = new Kafka({ clientId: 'retention-check', brokers, logLevel: logLevel.NOTHING }).admin();
    await inspector.connect();
    try {
      const described = await inspector.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }], includeSynonyms: false });
      expect(described.resources[0]?.configEntries.find((entry) => entry.configName === 'retention.ms')?.configValue).toBe('3600000');
    } finally {
      await inspector.disconnect();
    }
  });

  it('resumes a consumer group exactly at its committed offsets', async () => {
    const topic = uniqueStreamName('smoke');
    const groupId = uniqueStreamName('smoke-group');
    const startedAt = Date.now();
    await admin.createTopics([{ topic, partitions: 2 }]);
    topicsToDelete.push(topic);
    await admin.createTopics([{ topic, partitions: 2 }]); // idempotent
    const sent = Array.from({ length: 40 }, (_, i) => ({
      key: `entity-${i % 7}`,
      value: `event-${i}`,
      headers: { 'event-id': `ev-${i}` },
    }));
    await producer.send(topic, sent);
    expect(await admin.fetchCommittedOffsets(groupId, topic)).toEqual([
      { partition: 0, offset: null },
      { partition: 1, offset: null },
    ]);

    // First member: after "writing" a batch, commits only its first half, once per partition.
    const firstSeen: ConsumedMessage[] = [];
    const committed: CommitPosition[] = [];
    const first = stream.createConsumer({ groupId });
    consumersToStop.push(first);
    await first.connect();
    await first.subscribe([topic]);
    const assignment = await first.run(async (batch) => {
      firstSeen.push(...batch.messages);
      if (committed.some(({ partition }) => partition === batch.partition)) return;
      const positions = commitPositionsAfter(batch.messages.slice(0, Math.ceil(batch.messages.length / 2)));
      await first.commit(positions);
      committed.push(...positions);
    });
    expect(assignment).toEqual([{ topic, partitions: [0, 1] }]);
    await waitFor(() => firstSeen.length === sent.length, 'the first member to receive every message');
    await first.stop();
    await expect(first.commit(committed)).rejects.toBeInstanceOf(ConsumerNotRunningError);

    expect(new Set(firstSeen.map(({ partition }) => partition))).toEqual(new Set([0, 1]));
    const received = firstSeen.map((m) => ({ key: text(m.key), value: text(m.value), headers: m.headers }));
    expect(received.sort(byValue)).toEqual(sent.sort(byValue));
    for (const { topic: from, timestamp } of firstSeen) {
      expect(from).toBe(topic);
      expect(timestamp).toBeGreaterThanOrEqual(startedAt - 1_000);
      expect(timestamp).toBeLessThanOrEqual(Date.now());
    }
    // Only the explicit commits moved the group: the first member read past them.
    const committedByPartition = new Map(committed.map(({ partition, offset }) => [partition, BigInt(offset)]));
    expect(await admin.fetchCommittedOffsets(groupId, topic)).toEqual(
      [0, 1].map((partition) => ({ partition, offset: committedByPartition.get(partition)?.toString() })),
    );

    // Independent check: the broker holds exactly what the first member read, as kcat sees it.
    const onBroker = await kcat(topic, '%p %o %k %s\n');
    expect(onBroker.trim().split('\n').sort()).toEqual(
      firstSeen.map((m) => `${m.partition} ${m.offset} ${text(m.key)} ${text(m.value)}`).sort(),
    );

    // Second member of the same group: starts at the committed offsets, nothing earlier, nothing missed.
    const isAfterCommit = (m: ConsumedMessage): boolean =>
      BigInt(m.offset) >= (committedByPartition.get(m.partition) ?? 0n);
    const expectedRest = firstSeen.filter(isAfterCommit);
    const secondSeen: ConsumedMessage[] = [];
    const second = stream.createConsumer({ groupId });
    consumersToStop.push(second);
    await second.connect();
    await second.subscribe([topic]);
    await second.run(async (batch) => void secondSeen.push(...batch.messages));
    await waitFor(() => secondSeen.length >= expectedRest.length, 'the second member to catch up');

    expect(secondSeen.filter((m) => !isAfterCommit(m)).map(position)).toEqual([]);
    expect(secondSeen.map(position).sort()).toEqual(expectedRest.map(position).sort());

    // Committing everything it read leaves the group at the end of each partition.
    await second.commit(commitPositionsAfter(secondSeen));
    const ends = commitPositionsAfter(firstSeen).map(({ partition, offset }) => ({ partition, offset }));
    expect(await admin.fetchCommittedOffsets(groupId, topic)).toEqual(ends);
  });

  it("reads a group's lag per partition: the log end minus what it committed", async () => {
    const topic = uniqueStreamName('lag');
    const groupId = uniqueStreamName('lag-group');
    await admin.createTopics([{ topic, partitions: 2 }]);
    topicsToDelete.push(topic);
    expect(await admin.fetchTopicOffsets(topic)).toEqual([
      { partition: 0, earliest: '0', end: '0' },
      { partition: 1, earliest: '0', end: '0' },
    ]);
    await producer.send(topic, Array.from({ length: 50 }, (_, i) => ({ key: `entity-${i % 7}`, value: `event-${i}` })));
    const seen: ConsumedMessage[] = [];
    const consumer = stream.createConsumer({ groupId });
    consumersToStop.push(consumer);
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run(async (batch) => void seen.push(...batch.messages));
    await waitFor(() => seen.length === 50, 'every message');
    const perPartition = [0, 1].map((partition) => seen.filter((m) => m.partition === partition).length);
    expect(Math.min(...perPartition)).toBeGreaterThan(5);

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toEqual(perPartition.map((count, partition) => ({ partition, earliest: '0', end: String(count) })));
    // Read but not committed: all of it is lag.
    expect(consumerLag(offsets, await admin.fetchCommittedOffsets(groupId, topic))).toEqual(perPartition.map((lag, partition) => ({ partition, lag })));
    await consumer.commit(commitPositionsAfter(seen.filter(({ offset }) => Number(offset) < 5)));
    expect(consumerLag(await admin.fetchTopicOffsets(topic), await admin.fetchCommittedOffsets(groupId, topic))).toEqual(
      perPartition.map((count, partition) => ({ partition, lag: count - 5 })),
    );

    await expect(admin.fetchTopicOffsets(uniqueStreamName('missing'))).rejects.toBeInstanceOf(TopicNotFoundError);
  });

  it('redelivers a batch whose handler failed, committing nothing on its own', async () => {
    const topic = uniqueStreamName('redeliver');
    const groupId = uniqueStreamName('redeliver-group');
    await admin.createTopics([{ topic, partitions: 1 }]);
    topicsToDelete.push(topic);
    await producer.send(topic, ['a', 'b', 'c'].map((value) => ({ key: null, value })));
    const deliveries: string[][] = [];
    const crashes: Error[] = [];
    const consumer = stream.createConsumer({ groupId });
    consumersToStop.push(consumer);
    consumer.onCrash((error) => void crashes.push(error));
    await consumer.connect();
    await consumer.subscribe([topic]);

    await consumer.run(async (batch) => {
      deliveries.push(batch.messages.map(position));
      if (deliveries.length === 1) throw new Error('the store is down');
    });
    await waitFor(() => deliveries.length >= 2, 'the failed batch to come again');

    expect(deliveries[1]).toEqual(deliveries[0]);
    expect(crashes).toEqual([]);
    expect(await admin.fetchCommittedOffsets(groupId, topic)).toEqual([{ partition: 0, offset: null }]);
  });

  it('holds a paused partition back until it is resumed', async () => {
    const topic = uniqueStreamName('pause');
    const groupId = uniqueStreamName('pause-group');
    await admin.createTopics([{ topic, partitions: 1 }]);
    topicsToDelete.push(topic);
    const seen: (string | null)[] = [];
    const consumer = stream.createConsumer({ groupId });
    consumersToStop.push(consumer);
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run(async (batch) => void seen.push(...batch.messages.map(({ value }) => text(value))));
    await producer.send(topic, [{ key: 'entity-1', value: 'before-pause' }]);
    await waitFor(() => seen.length === 1, 'the first message');

    consumer.pause([{ topic, partitions: [0] }]);
    await producer.send(topic, [{ key: 'entity-1', value: 'while-paused' }]);
    await sleep(1_000); // five fetch rounds at fetchMaxWaitMs = 200
    expect(seen).toEqual(['before-pause']);

    consumer.resume([{ topic, partitions: [0] }]);
    await waitFor(() => seen.length === 2, 'the message held back by the pause');
    expect(seen).toEqual(['before-pause', 'while-paused']);
  });

  it("moves a 'latest' member to the offset it seeks to, back or forward, committing nothing", async () => {
    const topic = uniqueStreamName('seek');
    const groupId = uniqueStreamName('seek-group');
    await admin.createTopics([{ topic, partitions: 1 }]);
    topicsToDelete.push(topic);
    await producer.send(topic, ['m0', 'm1', 'm2'].map((value) => ({ key: 'entity-1', value })));
    const seen: (string | null)[] = [];
    const consumer = stream.createConsumer({ groupId, autoOffsetReset: 'latest' });
    consumersToStop.push(consumer);
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run(async (batch) => void seen.push(...batch.messages.map(({ value }) => text(value))));
    // Back into what 'latest' skipped: the member reads from there on.
    consumer.seek({ topic, partition: 0, offset: '1' });
    await waitFor(() => seen.length === 2, 'the messages after the seek');
    expect(seen).toEqual(['m1', 'm2']);
    await producer.send(topic, ['m3', 'm4'].map((value) => ({ key: 'entity-1', value })));
    await waitFor(() => seen.length === 4, 'the messages sent after');
    // Forward past a message the member has not read yet (held back by a pause).
    consumer.pause([{ topic, partitions: [0] }]);
    await producer.send(topic, ['m5', 'm6'].map((value) => ({ key: 'entity-1', value })));
    consumer.seek({ topic, partition: 0, offset: '6' });
    consumer.resume([{ topic, partitions: [0] }]);
    await waitFor(() => seen.length === 5, 'the message at the seek position');
    expect(seen).toEqual(['m1', 'm2', 'm3', 'm4', 'm6']);
    expect(await admin.fetchCommittedOffsets(groupId, topic)).toEqual([{ partition: 0, offset: null }]);
  });

  it('keeps producing after a topic it wrote to was deleted (kafkajs#1146)', async () => {
    const deleted = uniqueStreamName('deleted');
    const next = uniqueStreamName('next');
    await admin.createTopics([{ topic: deleted, partitions: 1 }]);
    await producer.send(deleted, [{ key: null, value: 'first' }]);
    await admin.deleteTopics([deleted]);
    await admin.createTopics([{ topic: next, partitions: 1 }]);
    topicsToDelete.push(next);

    await producer.send(next, [{ key: null, value: 'second' }]);

    expect(await kcat(next, '%s\n')).toBe('second\n');
    await expect(producer.send(deleted, [{ key: null, value: 'third' }])).rejects.toBeInstanceOf(TopicNotFoundError);
  });

  it('refuses, in bounded time and with a typed error, to produce to a topic that does not exist', async () => {
    const topic = uniqueStreamName('missing');
    const startedAt = Date.now();

    const error: unknown = await producer.send(topic, [{ key: 'k', value: 'v' }]).catch((thrown: unknown) => thrown);

    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(error).toBeInstanceOf(TopicNotFoundError);
    expect(error).toMatchObject({ retriable: false, topic, kafkaErrorType: 'UNKNOWN_TOPIC_OR_PARTITION' });
    // kafkajs's own complaints reached our log function, and nothing below the default 'warn' did.
    expect(clientLog.some(({ level }) => level === 'error')).toBe(true);
    expect(clientLog.filter(({ level }) => level === 'info' || level === 'debug')).toEqual([]);
  });
});

function byValue(a: { value: string | null }, b: { value: string | null }): number {
  return (a.value ?? '').localeCompare(b.value ?? '');
}
