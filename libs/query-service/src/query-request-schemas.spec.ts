import { entityIdSchema, lookupBody, segmentQuery } from './query-request-schemas';

describe('query request schemas', () => {
  it('turns segment.<column> parameters into segment attributes and refuses anything else', () => {
    expect(segmentQuery.parse({ 'segment.region': 'north', 'segment.plan_2': 'basic' })).toEqual({ region: 'north', plan_2: 'basic' });
    expect(segmentQuery.parse({})).toEqual({});
    for (const bad of [{ region: 'north' }, { 'segment.': 'x' }, { 'segment.a-b': 'x' }, { 'segment.region': ['a', 'b'] }]) {
      expect(segmentQuery.safeParse(bad).success).toBe(false);
    }
  });

  it('accepts the ids the store can hold and nothing else', () => {
    expect(entityIdSchema.safeParse('x'.repeat(256)).success).toBe(true);
    expect(entityIdSchema.safeParse('é'.repeat(128)).success).toBe(true);
    for (const bad of ['', 'x'.repeat(257), 'é'.repeat(129), 'a\uD800b', 5]) {
      expect(entityIdSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('takes 1 to 10,000 ids and segments by id, no other field', () => {
    expect(lookupBody.safeParse({ ids: Array.from({ length: 10_000 }, () => 'a') }).success).toBe(true);
    expect(lookupBody.safeParse({ ids: ['a'], segments: { a: { region: 'north' } } }).success).toBe(true);
    expect(lookupBody.safeParse({ ids: Array.from({ length: 10_001 }, () => 'a') }).success).toBe(false);
    expect(lookupBody.safeParse({ ids: [] }).success).toBe(false);
    expect(lookupBody.safeParse({ ids: ['a'], limit: 3 }).success).toBe(false);
  });
});
