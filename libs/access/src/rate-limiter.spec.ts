import { KeyRateLimiter } from './rate-limiter';

describe('KeyRateLimiter', () => {
  it('grants a burst, then the sustained rate, per key, and says how long to wait', () => {
    let clock = 0;
    const limiter = new KeyRateLimiter(10, 3, () => clock);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    expect(limiter.take('a')).toBe(100);
    expect(limiter.take('b')).toBe(0);
    clock = 50;
    expect(limiter.take('a')).toBe(50);
    clock = 100;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(100);
    clock = 10_000;
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0, 100]);
  });
});
