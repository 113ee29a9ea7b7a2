import { isLateEvent, splitLateEvents } from './late-events';

describe('late events', () => {
  const CUTOFF = 1_000;

  it('is late at or before the cut-off, on time after it (as the merge rule serves)', () => {
    expect(isLateEvent({ eventTime: 999 }, CUTOFF)).toBe(true);
    expect(isLateEvent({ eventTime: CUTOFF }, CUTOFF)).toBe(true);
    expect(isLateEvent({ eventTime: CUTOFF + 1 }, CUTOFF)).toBe(false);
  });

  it('splits a batch, keeping the order of each part', () => {
    const events = [1_001, 5, 1_000, 2_000, 0].map((eventTime, index) => ({ eventTime, index }));
    const { onTime, late } = splitLateEvents(events, CUTOFF);
    expect(onTime.map((event) => event.index)).toEqual([0, 3]);
    expect(late.map((event) => event.index)).toEqual([1, 2, 4]);
  });
});
