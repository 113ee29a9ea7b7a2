import { LruCache } from './lru-cache';

describe('LruCache', () => {
  it('forgets the least recently used entry beyond its size, a read counting as a use', () => {
    const cache = new LruCache<string, number | null>(2);
    cache.set('a', 1);
    cache.set('b', null);
    expect(cache.get('a')).toBe(1); // a is now the most recent
    cache.set('c', 3);
    expect(cache.has('b')).toBe(false);
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBe(1);
    expect(cache.get('c')).toBe(3);
    expect(cache.size).toBe(2);
  });

  it('keeps null as a remembered "no value", distinct from absent', () => {
    const cache = new LruCache<string, number | null>(1);
    cache.set('unknown', null);
    expect(cache.get('unknown')).toBeNull();
    expect(cache.get('other')).toBeUndefined();
  });

  it('replaces a value without growing, and refuses a size below one', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('a', 2);
    cache.set('b', 3);
    expect([...cache.values()]).toEqual([2, 3]);
    expect(() => new LruCache(0)).toThrow(RangeError);
  });
});
