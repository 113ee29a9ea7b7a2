import { type Admin, KafkaJSProtocolError } from 'kafkajs';
import { EventStreamRequestError, EventStreamUnavailableError, TopicNotFoundError } from './event-stream-errors';
import { KafkaJsAdmin } from './kafkajs-admin';

const RETRY = { initialRetryTimeMs: 1, maxRetryTimeMs: 2, retries: 3 };

function protocolError(type: string, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(`broker said ${type}`), { type, code: 14, retriable }));
}

/** kafkajs's admin, reduced to the one call under test, failing with `failures` in turn first. */
function adminFailing(failures: readonly Error[]): { admin: Admin; calls: () => number } {
  let calls = 0;
  const fetchOffsets = (): Promise<unknown> => {
    const failure = failures[calls++];
    return failure === undefined ? Promise.resolve([{ topic: 't', partitions: [{ partition: 1, offset: '7' }, { partition: 0, offset: '-1' }] }]) : Promise.reject(failure);
  };
  return { admin: { fetchOffsets } as unknown as Admin, calls: () => calls };
}

describe('KafkaJsAdmin reads', () => {
  it('retries a retriable broker answer (a coordinator still loading) and returns the offsets', async () => {
    const loading = protocolError('COORDINATOR_LOAD_IN_PROGRESS', true);
    const { admin, calls } = adminFailing([loading, loading]);

    expect(await new KafkaJsAdmin(admin, RETRY).fetchCommittedOffsets('g', 't')).toEqual([
      { partition: 0, offset: null },
      { partition: 1, offset: '7' },
    ]);
    expect(calls()).toBe(3);
  });

  it('gives up after the configured retries with a retriable error naming the read', async () => {
    const loading = protocolError('COORDINATOR_LOAD_IN_PROGRESS', true);
    const { admin, calls } = adminFailing([loading, loading, loading, loading, loading]);

    const error: unknown = await new KafkaJsAdmin(admin, RETRY).fetchCommittedOffsets('g', 't').catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(EventStreamUnavailableError);
    expect(error).toMatchObject({ operation: 'fetch committed offsets', topic: 't', groupId: 'g' });
    expect(calls()).toBe(1 + RETRY.retries);
  });

  it('does not retry an answer that will not change', async () => {
    const { admin, calls } = adminFailing([protocolError('GROUP_AUTHORIZATION_FAILED', false)]);

    await expect(new KafkaJsAdmin(admin, RETRY).fetchCommittedOffsets('g', 't')).rejects.toBeInstanceOf(EventStreamRequestError);
    expect(calls()).toBe(1);
  });
});

/** kafkajs's admin for topic creation: `metadataAnswers` in turn, each an error or the partitions' leaders. */
function adminCreating(metadataAnswers: readonly (Error | number[])[]): { admin: Admin; created: string[][]; metadataCalls: () => number } {
  const created: string[][] = [];
  let metadataCalls = 0;
  const admin = {
    listTopics: () => Promise.resolve(['old']),
    createTopics: ({ topics }: { topics: { topic: string }[] }) => {
      created.push(topics.map(({ topic }) => topic));
      return Promise.resolve(true);
    },
    fetchTopicMetadata: ({ topics }: { topics: string[] }) => {
      const answer = metadataAnswers[Math.min(metadataCalls++, metadataAnswers.length - 1)]!;
      if (answer instanceof Error) return Promise.reject(answer);
      return Promise.resolve({ topics: topics.map((name) => ({ name, partitions: answer.map((leader, partitionId) => ({ partitionId, leader })) })) });
    },
  };
  return { admin: admin as unknown as Admin, created, metadataCalls: () => metadataCalls };
}

describe('KafkaJsAdmin topic creation', () => {
  it('creates only the missing topics and returns once every partition has a leader, waiting out a broker that does not know the topic yet', async () => {
    const { admin, created, metadataCalls } = adminCreating([protocolError('UNKNOWN_TOPIC_OR_PARTITION', true), [-1, 1], [1, 1]]);

    await new KafkaJsAdmin(admin, RETRY).createTopics([
      { topic: 'old', partitions: 2 },
      { topic: 'new', partitions: 2 },
    ]);

    expect(created).toEqual([['new']]);
    expect(metadataCalls()).toBe(3);
  });

  it('fails naming the topics when the leaders do not come within the retries', async () => {
    const { admin, metadataCalls } = adminCreating([protocolError('UNKNOWN_TOPIC_OR_PARTITION', true)]);

    const error: unknown = await new KafkaJsAdmin(admin, RETRY)
      .createTopics([{ topic: 'new', partitions: 1 }])
      .catch((thrown: unknown) => thrown);

    expect(error).toBeInstanceOf(TopicNotFoundError);
    expect(error).toMatchObject({ operation: 'create topics', topic: 'new' });
    expect(metadataCalls()).toBe(1 + RETRY.retries);
  });

  it('does not wait out an answer that will not change', async () => {
    const { admin, metadataCalls } = adminCreating([protocolError('TOPIC_AUTHORIZATION_FAILED', false)]);

    await expect(new KafkaJsAdmin(admin, RETRY).createTopics([{ topic: 'new', partitions: 1 }])).rejects.toBeInstanceOf(EventStreamRequestError);
    expect(metadataCalls()).toBe(1);
  });
});
