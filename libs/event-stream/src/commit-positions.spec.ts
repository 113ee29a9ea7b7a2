import { InvalidInputError } from '@platform/domain';
import fc from 'fast-check';
import { commitPositionsAfter, offsetAfter } from './commit-positions';

describe('offsetAfter', () => {
  it('is the next offset, exact beyond 2^53', () => {
    expect(offsetAfter('0')).toBe('1');
    expect(offsetAfter('41')).toBe('42');
    expect(offsetAfter('9007199254740992')).toBe('9007199254740993');
    expect(offsetAfter('9223372036854775806')).toBe('9223372036854775807');
  });

  it.each(['', '-1', '1.5', '01', ' 7', 'abc'])('refuses %j', (offset) => {
    expect(() => offsetAfter(offset)).toThrow(InvalidInputError);
  });
});

describe('commitPositionsAfter', () => {
  it('commits the highest processed offset + 1 per topic-partition, in order', () => {
    const processed = [
      { topic: 'features', partition: 1, offset: '9' },
      { topic: 'features', partition: 0, offset: '4' },
      { topic: 'dead-letters', partition: 0, offset: '0' },
      { topic: 'features', partition: 1, offset: '10' },
      { topic: 'features', partition: 0, offset: '2' },
    ];

    expect(commitPositionsAfter(processed)).toEqual([
      { topic: 'dead-letters', partition: 0, offset: '1' },
      { topic: 'features', partition: 0, offset: '5' },
      { topic: 'features', partition: 1, offset: '11' },
    ]);
  });

  it('compares offsets as numbers, not as text', () => {
    expect(commitPositionsAfter([
      { topic: 't', partition: 0, offset: '10' },
      { topic: 't', partition: 0, offset: '9' },
    ])).toEqual([{ topic: 't', partition: 0, offset: '11' }]);
  });

  it('commits nothing for nothing processed', () => {
    expect(commitPositionsAfter([])).toEqual([]);
  });

  it('does not depend on the order messages were processed in', () => {
    const message = fc.record({
      topic: fc.constantFrom('a', 'b'),
      partition: fc.integer({ min: 0, max: 3 }),
      offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 2n }).map(String),
    });
    fc.assert(
      fc.property(fc.array(message, { maxLength: 30 }), (processed) => {
        const positions = commitPositionsAfter(processed);
        expect(commitPositionsAfter([...processed].reverse())).toEqual(positions);
        for (const { topic, partition, offset } of positions) {
          const offsets = processed
            .filter((m) => m.topic === topic && m.partition === partition)
            .map((m) => BigInt(m.offset));
          expect(BigInt(offset)).toBe(offsets.reduce((max, o) => (o > max ? o : max)) + 1n);
        }
      }),
    );
  });
});
