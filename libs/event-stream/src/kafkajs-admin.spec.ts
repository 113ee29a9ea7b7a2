import { type Admin, KafkaJSProtocolError } from 'kafkajs';
import { EventStreamRequestError, EventStreamUnavailableError } from './event-stream-errors';
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
