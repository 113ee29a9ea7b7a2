import fc from 'fast-check';
import { dedupeRedeliveries } from './dedupe';

const delivery = (model: string, eventId: string, offset: string, tag = '') => ({ model, eventId, source: { offset }, tag });

describe('dedupeRedeliveries', () => {
  it('keeps the delivery with the highest offset per (model, event id), in batch order', () => {
    const batch = [
      delivery('churn', 'e1', '10', 'first'),
      delivery('churn', 'e2', '11'),
      delivery('fraud', 'e1', '12'),
      delivery('churn', 'e1', '13', 'redelivered'),
    ];
    const { events, dropped } = dedupeRedeliveries(batch);
    expect(events).toEqual([batch[1], batch[2], batch[3]]);
    expect(dropped).toBe(1);
  });

  it('compares offsets as numbers beyond 2^53, and keeps the later on equal offsets', () => {
    const older = delivery('churn', 'e1', '9007199254740993');
    const newer = delivery('churn', 'e1', '9007199254740994');
    expect(dedupeRedeliveries([newer, older]).events).toEqual([newer]);
    expect(dedupeRedeliveries([delivery('churn', 'e1', '9', 'a'), delivery('churn', 'e1', '9', 'b')]).events.map((e) => e.tag)).toEqual(['b']);
  });

  it('keeps a batch without duplicates as it is', () => {
    const batch = [delivery('churn', 'e1', '1'), delivery('churn', 'e2', '2')];
    expect(dedupeRedeliveries(batch)).toEqual({ events: batch, dropped: 0 });
    expect(dedupeRedeliveries([])).toEqual({ events: [], dropped: 0 });
  });

  it('keeps exactly one delivery per event, the highest offset, and counts the rest', () => {
    const deliveries = fc.array(
      fc.record({ model: fc.constantFrom('churn', 'fraud'), eventId: fc.constantFrom('a', 'b', 'c'), offset: fc.nat(50) }),
      { maxLength: 40 },
    );
    fc.assert(
      fc.property(deliveries, (drawn) => {
        const batch = drawn.map(({ model, eventId, offset }) => delivery(model, eventId, String(offset)));
        const { events, dropped } = dedupeRedeliveries(batch);
        const keys = events.map((e) => `${e.model}/${e.eventId}`);
        expect(new Set(keys).size).toBe(keys.length);
        expect(new Set(keys)).toEqual(new Set(batch.map((e) => `${e.model}/${e.eventId}`)));
        expect(dropped).toBe(batch.length - events.length);
        for (const kept of events) {
          const copies = batch.filter((e) => e.model === kept.model && e.eventId === kept.eventId);
          expect(Number(kept.source.offset)).toBe(Math.max(...copies.map((e) => Number(e.source.offset))));
        }
      }),
    );
  });
});
