import { InvalidInputError } from '@platform/domain';
import { consumerLag } from './consumer-lag';

describe('consumerLag', () => {
  it('is the log end minus the committed offset, per partition', () => {
    const offsets = [
      { partition: 0, earliest: '0', end: '120' },
      { partition: 1, earliest: '0', end: '80' },
    ];
    const committed = [
      { partition: 0, offset: '100' },
      { partition: 1, offset: '80' },
    ];

    expect(consumerLag(offsets, committed)).toEqual([
      { partition: 0, lag: 20 },
      { partition: 1, lag: 0 },
    ]);
  });

  it('counts from the log start where the group never committed or retention deleted the committed offset', () => {
    const offsets = [
      { partition: 0, earliest: '40', end: '100' },
      { partition: 1, earliest: '500', end: '700' },
      { partition: 2, earliest: '5', end: '9' },
    ];
    const committed = [
      { partition: 0, offset: null },
      { partition: 1, offset: '300' },
    ];

    expect(consumerLag(offsets, committed)).toEqual([
      { partition: 0, lag: 60 },
      { partition: 1, lag: 200 },
      { partition: 2, lag: 4 },
    ]);
  });

  it('stays exact for offsets beyond 2^53 and never goes negative', () => {
    const offsets = [
      { partition: 0, earliest: '9007199254740990', end: '9007199254740999' },
      // A high watermark read before the commit landed: the group is not behind.
      { partition: 1, earliest: '0', end: '10' },
    ];
    const committed = [
      { partition: 0, offset: '9007199254740993' },
      { partition: 1, offset: '12' },
    ];

    expect(consumerLag(offsets, committed)).toEqual([
      { partition: 0, lag: 6 },
      { partition: 1, lag: 0 },
    ]);
  });

  it('refuses an offset that is not a decimal integer', () => {
    expect(() => consumerLag([{ partition: 0, earliest: '0', end: 'x' }], [])).toThrow(InvalidInputError);
  });
});
