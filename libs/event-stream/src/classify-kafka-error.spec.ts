import { InvalidInputError, PlatformError } from '@platform/domain';
import {
  KafkaJSAggregateError,
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
  KafkaJSRequestTimeoutError,
} from 'kafkajs';
import { classifyKafkaError } from './classify-kafka-error';
import { EventStreamRequestError, EventStreamUnavailableError, TopicNotFoundError } from './event-stream-errors';

/** What the broker's error code becomes inside kafkajs (see kafkajs/src/protocol/error.js). */
function protocolError(type: string, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError(Object.assign(new Error(`broker said ${type}`), { type, code: 1, retriable }));
}

function retriesExhausted(cause: Error): KafkaJSNumberOfRetriesExceeded {
  return new KafkaJSNumberOfRetriesExceeded(cause, { retryCount: 5, retryTime: 4_800 });
}

describe('classifyKafkaError', () => {
  it('maps an unknown topic, even behind exhausted retries, to a non-retriable TopicNotFoundError', () => {
    const thrown = retriesExhausted(protocolError('UNKNOWN_TOPIC_OR_PARTITION', true));

    const error = classifyKafkaError(thrown, { operation: 'send', topic: 'features' });

    expect(error).toBeInstanceOf(TopicNotFoundError);
    expect(error).toMatchObject({
      code: 'TOPIC_NOT_FOUND',
      retriable: false,
      topic: 'features',
      kafkaErrorType: 'UNKNOWN_TOPIC_OR_PARTITION',
      message: 'send failed (topic "features"): broker said UNKNOWN_TOPIC_OR_PARTITION',
      cause: thrown,
    });
  });

  it('keeps a transient cause retriable once kafkajs gave up retrying it', () => {
    const error = classifyKafkaError(retriesExhausted(new KafkaJSConnectionError('Connection error: ECONNREFUSED')), {
      operation: 'connect producer',
    });

    expect(error).toBeInstanceOf(EventStreamUnavailableError);
    expect(error).toMatchObject({ retriable: true, code: 'EVENT_STREAM_UNAVAILABLE', kafkaErrorType: undefined });
  });

  it.each([
    ['a request timeout', new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out')],
    ['a rebalance', protocolError('REBALANCE_IN_PROGRESS', true)],
    ['a leader election', retriesExhausted(protocolError('LEADER_NOT_AVAILABLE', true))],
  ])('treats %s as retriable', (_what, thrown) => {
    expect(classifyKafkaError(thrown, { operation: 'commit offsets', groupId: 'speed' })).toBeInstanceOf(
      EventStreamUnavailableError,
    );
  });

  it('maps what the broker refuses as given to a non-retriable request error', () => {
    const thrown = new KafkaJSAggregateError('Topic creation errors', [protocolError('INVALID_PARTITIONS', false)]);

    const error = classifyKafkaError(thrown, { operation: 'create topic', topic: 'features' });

    expect(error).toBeInstanceOf(EventStreamRequestError);
    expect(error).toMatchObject({ retriable: false, kafkaErrorType: 'INVALID_PARTITIONS' });
    expect(error.message).toBe('create topic failed (topic "features"): broker said INVALID_PARTITIONS');
  });

  it('is retriable only when every aggregated failure is', () => {
    const mixed = new KafkaJSAggregateError('errors', [
      protocolError('REQUEST_TIMED_OUT', true),
      protocolError('INVALID_REPLICATION_FACTOR', false),
    ]);

    expect(classifyKafkaError(mixed, { operation: 'create topic' }).retriable).toBe(false);
  });

  it('maps client-side refusals and foreign errors to non-retriable request errors', () => {
    const clientRefusal = new KafkaJSNonRetriableError('Cannot subscribe to topic while consumer is running');
    const refused = classifyKafkaError(clientRefusal, { operation: 'subscribe', groupId: 'speed' });
    const foreign = classifyKafkaError('socket exploded', { operation: 'send' });

    expect(refused).toBeInstanceOf(EventStreamRequestError);
    expect(refused.message).toBe(
      'subscribe failed (group "speed"): Cannot subscribe to topic while consumer is running',
    );
    expect(foreign).toBeInstanceOf(EventStreamRequestError);
    expect(foreign.message).toBe('send failed: socket exploded');
  });

  it("returns a platform error from the cause chain unchanged (a batch handler's own failure)", () => {
    const handlerFailure = new InvalidInputError('row 3 has no entity id');

    const error = classifyKafkaError(retriesExhausted(handlerFailure), { operation: 'consume', groupId: 'speed' });

    expect(error).toBe(handlerFailure);
    expect(error).toBeInstanceOf(PlatformError);
  });
});
