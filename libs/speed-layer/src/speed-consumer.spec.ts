import { type BatchHandler, type ConsumedMessage, type EventStream, type EventStreamConsumer, type TopicPartitions } from '@platform/event-stream';
import { type CatchUpScoring } from './catch-up';
import { type IngestFeatureEvents, type IngestOutcome } from './ingest-feature-events';
import { type ServingModelCatalog } from './serving-model-catalog';
import { type DeadLetterTopic, SpeedConsumer, type SpeedConsumerOptions } from './speed-consumer';

const ASSIGNMENT: TopicPartitions[] = [{ topic: 'events', partitions: [0] }];
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The Kafka port, scripted: the test hands batches to the consumer's handler and sees pauses. */
function fakeStream() {
  const fetching: boolean[] = [];
  const commits: string[] = [];
  let handler: BatchHandler | undefined;
  const consumer: EventStreamConsumer = {
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (runHandler) => {
      handler = runHandler;
      return ASSIGNMENT;
    },
    commit: async (positions) => void commits.push(positions.map((position) => position.offset).join(',')),
    pause: () => void fetching.push(false),
    resume: () => void fetching.push(true),
    seek: () => undefined,
    onAssignment: () => () => undefined,
    onCrash: () => () => undefined,
    stop: async () => undefined,
  };
  const stream = { createConsumer: () => consumer } as unknown as EventStream;
  let offset = 0;
  const deliver = (count: number, value = Buffer.from('{}')) => {
    const messages: ConsumedMessage[] = Array.from({ length: count }, () => ({ topic: 'events', partition: 0, offset: String(offset++), key: null, value, headers: {}, timestamp: 0 }));
    return handler!({ topic: 'events', partition: 0, messages });
  };
  return { stream, fetching, commits, deliver };
}

/** A consumer over the scripted stream and `ingest`, with a catalog that never switches versions. */
function consumerOver(stream: EventStream, ingest: IngestFeatureEvents, options: Partial<SpeedConsumerOptions> = {}): SpeedConsumer {
  const catalog = { refresh: async () => [], servingModels: () => new Map() } as unknown as ServingModelCatalog;
  const deadLetters = { connect: async () => undefined, disconnect: async () => undefined } as unknown as DeadLetterTopic;
  return new SpeedConsumer(
    { stream, ingest, catalog, catchUp: {} as CatchUpScoring, deadLetters, log: silent },
    { topic: 'events', groupId: 'g', batching: { maxCount: 10, maxWaitMs: 5, minIntervalMs: 0 }, retry: { initialMs: 10, maxMs: 10 }, ...options },
  );
}

describe('SpeedConsumer backpressure', () => {
  it('pauses fetching when the backlog reaches its mark and resumes once half of it is left', async () => {
    const { stream, fetching, deliver } = fakeStream();
    const ingested: number[] = [];
    let release: () => void = () => undefined;
    const ingest = {
      prepare: (batch: readonly ConsumedMessage[]) => batch,
      write: async (batch: readonly ConsumedMessage[]): Promise<IngestOutcome> => {
        // The first batch waits for the test: scoring is slower than the topic meanwhile.
        if (ingested.length === 0) await new Promise<void>((resolve) => (release = resolve));
        ingested.push(batch.length);
        return { positions: [], appended: batch.length, scored: 0, late: 0, unscored: 0, duplicates: 0, deadLettered: {}, writtenAt: 0 };
      },
    } as unknown as IngestFeatureEvents;
    const consumer = consumerOver(stream, ingest, { maxBufferedMessages: 40 });
    await consumer.start();
    await deliver(10);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first batch is now stuck in ingest
    await deliver(25);
    expect(fetching).toEqual([]);
    await deliver(10); // 45 buffered: at the mark
    expect(fetching).toEqual([false]);

    release();
    const deadline = Date.now() + 2_000;
    while (ingested.reduce((sum, count) => sum + count, 0) < 45 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    // Resumed once, when at most 20 were left, not on every batch in between.
    expect(fetching).toEqual([false, true]);
    await consumer.stop();
  });
});

describe('SpeedConsumer backpressure in bytes', () => {
  it('pauses fetching when the backlog reaches its byte mark, however few messages it holds', async () => {
    const { stream, fetching, deliver } = fakeStream();
    let release: () => void = () => undefined;
    let written = 0;
    const ingest = {
      prepare: (batch: readonly ConsumedMessage[]) => batch,
      write: async (batch: readonly ConsumedMessage[]): Promise<IngestOutcome> => {
        if (written === 0) await new Promise<void>((resolve) => (release = resolve));
        written += batch.length;
        return { positions: [], appended: batch.length, scored: 0, late: 0, unscored: 0, duplicates: 0, deadLettered: {}, writtenAt: 0 };
      },
    } as unknown as IngestFeatureEvents;
    const consumer = consumerOver(stream, ingest, { maxBufferedBytes: 4_000 });
    await consumer.start();
    const large = Buffer.alloc(1_000, 0x20);
    await deliver(1, large);
    await new Promise((resolve) => setTimeout(resolve, 20)); // the first batch is now stuck in ingest
    await deliver(2, large);
    expect(fetching).toEqual([]);
    await deliver(1, large); // 4 messages, 4,000 bytes: at the byte mark, far below 40 messages
    expect(fetching).toEqual([false]);

    release();
    const deadline = Date.now() + 2_000;
    while (written < 4 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(fetching).toEqual([false, true]);
    await consumer.stop();
  });
});

describe('SpeedConsumer pipelining', () => {
  it('prepares the next batch while the one before is writing, and writes and commits in order', async () => {
    const { stream, commits, deliver } = fakeStream();
    const steps: string[] = [];
    let releaseFirst: () => void = () => undefined;
    const ingest = {
      prepare: (batch: readonly ConsumedMessage[]) => {
        steps.push(`prepare ${batch[0]!.offset}`);
        return batch;
      },
      write: async (batch: readonly ConsumedMessage[]): Promise<IngestOutcome> => {
        const first = batch[0]!.offset;
        steps.push(`write ${first}`);
        if (first === '0') await new Promise<void>((resolve) => (releaseFirst = resolve));
        steps.push(`written ${first}`);
        const positions = [{ topic: 'events', partition: 0, offset: String(Number(batch[batch.length - 1]!.offset) + 1) }];
        return { positions, appended: batch.length, scored: 0, late: 0, unscored: 0, duplicates: 0, deadLettered: {}, writtenAt: 0 };
      },
    } as unknown as IngestFeatureEvents;
    const consumer = consumerOver(stream, ingest);
    await consumer.start();
    await deliver(10);
    await new Promise((resolve) => setTimeout(resolve, 20)); // batch 0-9 is now writing
    await deliver(10);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(steps).toEqual(['prepare 0', 'write 0', 'prepare 10']);
    expect(commits).toEqual([]);

    releaseFirst();
    const deadline = Date.now() + 2_000;
    while (commits.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(steps).toEqual(['prepare 0', 'write 0', 'prepare 10', 'written 0', 'write 10', 'written 10']);
    expect(commits).toEqual(['10', '20']);
    await consumer.stop();
  });
});
