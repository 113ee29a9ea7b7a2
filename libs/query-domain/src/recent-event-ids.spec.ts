import { RecentEventIds } from './recent-event-ids';

const row = (entityId: string, eventId: string, scoredAt: number, modelVersion = '1.0.0', eventTime = 10) => ({ entityId, eventId, modelVersion, eventTime, scoredAt });

describe('RecentEventIds', () => {
  it('tells re-read rows from new ones and forgets those older than the window', () => {
    const ids = new RecentEventIds();
    expect(ids.add(row('a', 'e1', 100))).toBe(true);
    expect(ids.add(row('a', 'e2', 200))).toBe(true);
    expect(ids.add(row('a', 'e1', 100))).toBe(false);
    ids.forgetBefore(150);
    expect(ids.size).toBe(1);
    expect(ids.add(row('a', 'e2', 200))).toBe(false);
    expect(ids.add(row('a', 'e1', 100))).toBe(true);
  });

  it("keeps two entities' events apart when they share an event id", () => {
    const ids = new RecentEventIds();
    expect(ids.add(row('a', 'e1', 100))).toBe(true);
    expect(ids.add(row('b', 'e1', 100))).toBe(true);
    expect(ids.add(row('a\u0000', 'e1', 100))).toBe(true);
  });

  it('sees a catch-up re-score (another version) and a redelivery scored again as new rows', () => {
    const ids = new RecentEventIds();
    expect(ids.add(row('a', 'e1', 100))).toBe(true);
    expect(ids.add(row('a', 'e1', 100, '2.0.0'))).toBe(true);
    expect(ids.add(row('a', 'e1', 130))).toBe(true);
    expect(ids.add(row('a', 'e1', 100, '1.0.0', 11))).toBe(true);
  });
});
