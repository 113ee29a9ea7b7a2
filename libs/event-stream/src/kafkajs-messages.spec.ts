import { decodeHeaders, toConsumedMessage, toKafkaJsMessage, toTopicPartitions } from './kafkajs-messages';

describe('kafkajs message mapping', () => {
  it('decodes headers as UTF-8, the last of a repeated key winning', () => {
    const headers = { 'event-id': Buffer.from('é-1'), trace: [Buffer.from('a'), 'b'], absent: undefined };
    expect(decodeHeaders(headers)).toEqual({ 'event-id': 'é-1', trace: 'b' });
    expect(decodeHeaders(undefined)).toEqual({});
  });

  it('turns a fetched record into a consumed message with a numeric timestamp', () => {
    const message = toConsumedMessage('features', 1, {
      key: Buffer.from('entity-7'),
      value: null,
      timestamp: '1700000000123',
      attributes: 0,
      offset: '42',
      headers: { source: Buffer.from('test') },
    });

    expect(message).toEqual({
      topic: 'features',
      partition: 1,
      offset: '42',
      key: Buffer.from('entity-7'),
      value: null,
      headers: { source: 'test' },
      timestamp: 1_700_000_000_123,
    });
  });

  it('leaves headers out of an outgoing message that has none', () => {
    expect(toKafkaJsMessage({ key: null, value: 'v' })).toEqual({ key: null, value: 'v' });
    const withHeaders = { key: 'k', value: 'v', headers: { a: '1' } };
    expect(toKafkaJsMessage(withHeaders)).toEqual(withHeaders);
  });

  it('lists an assignment sorted by topic and partition', () => {
    expect(toTopicPartitions({ b: [2, 0], a: [1] })).toEqual([
      { topic: 'a', partitions: [1] },
      { topic: 'b', partitions: [0, 2] },
    ]);
  });
});
