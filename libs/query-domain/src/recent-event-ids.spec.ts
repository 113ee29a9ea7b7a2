import { RecentEventIds } from './recent-event-ids';

describe('RecentEventIds', () => {
  it('tells re-read ids from new ones and forgets those older than the window', () => {
    const ids = new RecentEventIds();
    expect(ids.add('a', 'e1', 100)).toBe(true);
    expect(ids.add('a', 'e2', 200)).toBe(true);
    expect(ids.add('a', 'e1', 100)).toBe(false);
    ids.forgetBefore(150);
    expect(ids.size).toBe(1);
    expect(ids.add('a', 'e2', 200)).toBe(false);
    expect(ids.add('a', 'e1', 100)).toBe(true);
  });

  it("keeps two entities' events apart when they share an event id", () => {
    const ids = new RecentEventIds();
    expect(ids.add('a', 'e1', 100)).toBe(true);
    expect(ids.add('b', 'e1', 100)).toBe(true);
    expect(ids.add('a\u0000', 'e1', 100)).toBe(true);
  });
});
