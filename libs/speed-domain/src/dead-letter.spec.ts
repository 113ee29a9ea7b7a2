import fc from 'fast-check';
import {
  buildDeadLetterMessage,
  DEAD_LETTER_REASONS,
  type DeadLetterCause,
  InvalidDeadLetterError,
  parseDeadLetterMessage,
  type RejectedMessage,
} from './dead-letter';

const rejected: RejectedMessage = {
  topic: 'feature-events',
  partition: 3,
  offset: '9007199254740993',
  key: Buffer.from('customer-42'),
  value: Buffer.from([0x7b, 0xff, 0x7d]),
  headers: { traceparent: '00-abc-def-01' },
};
const cause: DeadLetterCause = { reason: 'not-json', detail: 'the value is not valid UTF-8' };
const FAILED_AT = Date.UTC(2025, 0, 1);

describe('buildDeadLetterMessage', () => {
  it('keeps key, value bytes and headers, and adds the reason and origin as headers', () => {
    expect(buildDeadLetterMessage(rejected, cause, FAILED_AT)).toEqual({
      key: rejected.key,
      value: rejected.value,
      headers: {
        traceparent: '00-abc-def-01',
        'dlq-format': 'dead-letter/v1',
        'dlq-reason': 'not-json',
        'dlq-detail': 'the value is not valid UTF-8',
        'dlq-source-topic': 'feature-events',
        'dlq-source-partition': '3',
        'dlq-source-offset': '9007199254740993',
        'dlq-failed-at': String(FAILED_AT),
      },
    });
  });

  it('marks a tombstone, which must be sent with some value', () => {
    const message = buildDeadLetterMessage({ ...rejected, value: null }, { reason: 'empty', detail: 'x' }, FAILED_AT);
    expect(message.value).toEqual(Buffer.alloc(0));
    expect(message.headers['dlq-tombstone']).toBe('true');
  });

  it('drops dlq- headers the rejected message carried, e.g. from an earlier dead-lettering', () => {
    const message = buildDeadLetterMessage(
      { ...rejected, headers: { 'dlq-tombstone': 'true', 'dlq-reason': 'schema', other: 'kept' } },
      cause,
      FAILED_AT,
    );
    expect(message.headers['dlq-tombstone']).toBeUndefined();
    expect(message.headers['dlq-reason']).toBe('not-json');
    expect(parseDeadLetterMessage(message).headers).toEqual({ other: 'kept' });
  });
});

describe('parseDeadLetterMessage', () => {
  it('reads back what was built', () => {
    expect(parseDeadLetterMessage(buildDeadLetterMessage(rejected, cause, FAILED_AT))).toEqual({
      ...cause,
      source: { topic: 'feature-events', partition: 3, offset: '9007199254740993' },
      failedAt: FAILED_AT,
      key: rejected.key,
      value: rejected.value,
      headers: rejected.headers,
    });
  });

  it('round-trips any rejected message', () => {
    const bytes = fc.uint8Array({ maxLength: 64 }).map((array) => Buffer.from(array));
    const message = fc.record({
      topic: fc.string({ minLength: 1 }),
      partition: fc.nat(),
      offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
      key: fc.option(bytes),
      value: fc.option(bytes),
      headers: fc.dictionary(fc.string(), fc.string()),
    });
    const anyCause = fc.record({ reason: fc.constantFrom(...DEAD_LETTER_REASONS), detail: fc.string() });
    fc.assert(
      fc.property(message, anyCause, fc.nat(), (original, why, failedAt) => {
        const deadLetter = parseDeadLetterMessage(buildDeadLetterMessage(original, why, failedAt));
        expect(deadLetter).toEqual({
          ...why,
          source: { topic: original.topic, partition: original.partition, offset: original.offset },
          failedAt,
          key: original.key,
          value: original.value,
          headers: Object.fromEntries(Object.entries(original.headers).filter(([name]) => !name.startsWith('dlq-'))),
        });
      }),
    );
  });

  it('names every bad header', () => {
    const headers = { ...buildDeadLetterMessage(rejected, cause, FAILED_AT).headers, 'dlq-reason': 'bad-luck', 'dlq-source-offset': '-1' };
    delete (headers as Record<string, string>)['dlq-source-topic'];
    const parse = () => parseDeadLetterMessage({ key: null, value: Buffer.alloc(0), headers });
    expect(parse).toThrow(InvalidDeadLetterError);
    expect(parse).toThrow(/^not a dead-letter\/v1 message: dlq-reason: .*; dlq-source-topic: .*; dlq-source-offset: expected a non-negative decimal integer$/);
  });

  it('refuses a message that is not a dead letter, and a tombstone with a value', () => {
    expect(() => parseDeadLetterMessage({ key: null, value: Buffer.from('{}'), headers: {} })).toThrow(/dlq-format/);
    const tombstone = buildDeadLetterMessage({ ...rejected, value: null }, cause, FAILED_AT);
    expect(() => parseDeadLetterMessage({ ...tombstone, value: Buffer.from('x') })).toThrow(/marked as a tombstone has a value/);
  });
});
