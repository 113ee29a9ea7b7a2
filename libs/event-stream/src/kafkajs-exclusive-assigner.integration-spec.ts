import { type EventStreamAdmin, type EventStreamConsumer, type TopicPartitions } from './event-stream';
import { createEventStreamConfig } from './event-stream-config';
import { EventStreamRequestError } from './event-stream-errors';
import { KafkaJsEventStream } from './kafkajs-event-stream';
import { testKafkaBrokers, uniqueStreamName } from './testing';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** A group member and every assignment it was given, the latest last. */
interface Member {
  readonly consumer: EventStreamConsumer;
  readonly assignments: (readonly TopicPartitions[])[];
}

describe('exclusive consumer groups on a real broker', () => {
  const stream = new KafkaJsEventStream(
    createEventStreamConfig({
      clientId: 'exclusive-integration',
      brokers: testKafkaBrokers(),
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 500,
      fetchMaxWaitMs: 200,
      retry: { initialRetryTimeMs: 100, maxRetryTimeMs: 1_000, retries: 3 },
      log: () => undefined,
    }),
  );
  let admin: EventStreamAdmin;
  let topic: string;
  let groupId: string;
  const consumersToStop: EventStreamConsumer[] = [];

  beforeAll(async () => {
    admin = stream.createAdmin();
    await admin.connect();
  });

  beforeEach(async () => {
    topic = uniqueStreamName('exclusive');
    groupId = uniqueStreamName('exclusive-group');
    await admin.createTopics([{ topic, partitions: 2 }]);
  });

  afterEach(async () => {
    await Promise.all(consumersToStop.splice(0).map((consumer) => consumer.stop()));
    await admin.deleteTopics([topic]);
  });

  afterAll(async () => {
    await admin.disconnect();
  });

  async function join(exclusive = true): Promise<Member> {
    const consumer = stream.createConsumer({ groupId, exclusive });
    consumersToStop.push(consumer);
    const assignments: (readonly TopicPartitions[])[] = [];
    consumer.onAssignment((assignment) => void assignments.push(assignment));
    await consumer.connect();
    await consumer.subscribe([topic]);
    await consumer.run(() => Promise.resolve());
    return { consumer, assignments };
  }

  async function leave(member: Member): Promise<void> {
    consumersToStop.splice(consumersToStop.indexOf(member.consumer), 1);
    await member.consumer.stop();
  }

  const everything = (): TopicPartitions[] => [{ topic, partitions: [0, 1] }];
  const latest = ({ assignments }: Member): readonly TopicPartitions[] | undefined => assignments.at(-1);

  it('keeps every partition with the first member while others join, then hands them on in joining order', async () => {
    const holder = await join();
    expect(holder.assignments).toEqual([everything()]);

    const firstWaiting = await join();
    expect(firstWaiting.assignments).toEqual([[]]);
    const secondWaiting = await join();
    expect(secondWaiting.assignments).toEqual([[]]);
    // The holder rejoined at each newcomer's join and kept everything every time.
    await waitFor(() => holder.assignments.length >= 3, "the holder's rejoins");
    expect(holder.assignments).toEqual(holder.assignments.map(everything));

    await leave(holder);
    await waitFor(() => latest(firstWaiting)?.length === 1, 'the first waiting member to take over');
    expect(latest(firstWaiting)).toEqual(everything());
    expect(latest(secondWaiting)).toEqual([]);

    await leave(firstWaiting);
    await waitFor(() => latest(secondWaiting)?.length === 1, 'the second waiting member to take over');
    expect(latest(secondWaiting)).toEqual(everything());
  });

  it('refuses a member without exclusive assignment into an exclusive group', async () => {
    await join();

    const error: unknown = await join(false).catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(EventStreamRequestError);
    expect(error).toMatchObject({ groupId, kafkaErrorType: 'INCONSISTENT_GROUP_PROTOCOL' });
  });
});
