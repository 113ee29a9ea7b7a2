import fc from 'fast-check';
import { map, merge, tap, timer } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { InvalidMicroBatchPolicyError, microBatch, type MicroBatchPolicy } from './micro-batcher';

// In run mode one marble frame is 1 ms of virtual time.
const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe('microBatch', () => {
  it('flushes by count', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('abc---def|');
      expectObservable(source.pipe(microBatch({ maxCount: 3, maxWaitMs: 100, minIntervalMs: 0 }))).toBe('--x-----y|', {
        x: ['a', 'b', 'c'],
        y: ['d', 'e', 'f'],
      });
    });
  });

  it('flushes by time, counted from the first item of the batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab 10ms |');
      expectObservable(source.pipe(microBatch({ maxCount: 10, maxWaitMs: 5, minIntervalMs: 0 }))).toBe('5ms x 6ms |', {
        x: ['a', 'b'],
      });
    });
  });

  it('holds a count-triggered flush back until the minimum interval is over, taking what arrived meanwhile', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('ab-cd-e 20ms |');
      expectObservable(source.pipe(microBatch({ maxCount: 2, maxWaitMs: 100, minIntervalMs: 10 }))).toBe('-x 9ms y 15ms |', {
        x: ['a', 'b'],
        y: ['c', 'd', 'e'],
      });
    });
  });

  it('holds a time-triggered flush back until the minimum interval is over', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('a 4ms b 20ms |');
      expectObservable(source.pipe(microBatch({ maxCount: 10, maxWaitMs: 2, minIntervalMs: 10 }))).toBe('--x 9ms y 13ms |', {
        x: ['a'],
        y: ['b'],
      });
    });
  });

  it('flushes the remainder on completion, then completes', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const policy = { maxCount: 10, maxWaitMs: 100, minIntervalMs: 0 };
      expectObservable(cold('ab|').pipe(microBatch(policy))).toBe('--(x|)', { x: ['a', 'b'] });
    });
  });

  it('keeps the minimum interval for the flush on completion too', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const policy = { maxCount: 2, maxWaitMs: 100, minIntervalMs: 10 };
      expectObservable(cold('abc|').pipe(microBatch(policy))).toBe('-x 9ms (y|)', { x: ['a', 'b'], y: ['c'] });
    });
  });

  it('never flushes an empty batch', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const policy = { maxCount: 2, maxWaitMs: 3, minIntervalMs: 0 };
      expectObservable(cold('ab 20ms c 20ms |').pipe(microBatch(policy))).toBe('-x 23ms y 17ms |', { x: ['a', 'b'], y: ['c'] });
      expectObservable(cold('------|').pipe(microBatch(policy))).toBe('------|');
    });
  });

  it('passes an error on at once, without the buffered items', () => {
    scheduler().run(({ cold, expectObservable }) => {
      const policy = { maxCount: 10, maxWaitMs: 5, minIntervalMs: 0 };
      expectObservable(cold('ab#', undefined, new Error('broker gone')).pipe(microBatch(policy))).toBe('--#', undefined, new Error('broker gone'));
    });
  });

  it('stops its timers when unsubscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a 10ms |');
      expectObservable(source.pipe(microBatch({ maxCount: 10, maxWaitMs: 5, minIntervalMs: 0 })), '^--!').toBe('');
      expectSubscriptions(source.subscriptions).toBe('^--!');
    });
  });

  it.each([
    [{ maxCount: 0, maxWaitMs: 1, minIntervalMs: 0 }, /maxCount must be an integer >= 1, got 0/],
    [{ maxCount: 1.5, maxWaitMs: 1, minIntervalMs: 0 }, /maxCount/],
    [{ maxCount: 1, maxWaitMs: -1, minIntervalMs: 0 }, /maxWaitMs must be a finite number >= 0, got -1/],
    [{ maxCount: 1, maxWaitMs: 1, minIntervalMs: Number.NaN }, /minIntervalMs must be a finite number >= 0, got NaN/],
  ])('refuses the policy %j', (policy, message) => {
    expect(() => microBatch(policy)).toThrow(InvalidMicroBatchPolicyError);
    expect(() => microBatch(policy)).toThrow(message);
  });

  it('for any arrivals: every item once and in order, no empty batch, flushes spaced, bounded wait', () => {
    const policy = fc.record({
      maxCount: fc.integer({ min: 1, max: 5 }),
      maxWaitMs: fc.integer({ min: 0, max: 20 }),
      minIntervalMs: fc.integer({ min: 0, max: 20 }),
    });
    fc.assert(
      fc.property(policy, fc.array(fc.nat(100), { maxLength: 30 }), (batchPolicy: MicroBatchPolicy, arrivals) => {
        const flushes: { at: number; batch: number[] }[] = [];
        let completedAt = -1;
        const testScheduler = scheduler();
        testScheduler.run(() => {
          merge(...arrivals.map((at, item) => timer(at).pipe(map(() => item))))
            .pipe(
              microBatch(batchPolicy),
              tap({ complete: () => (completedAt = testScheduler.now()) }),
            )
            .subscribe((batch) => flushes.push({ at: testScheduler.now(), batch }));
        });

        const inArrivalOrder = arrivals.map((at, item) => ({ at, item })).sort((a, b) => a.at - b.at).map(({ item }) => item);
        expect(flushes.flatMap(({ batch }) => batch)).toEqual(inArrivalOrder);
        // Done once the source is and the last flush (which may wait for the interval) is out.
        expect(completedAt).toBe(Math.max(0, ...arrivals, ...flushes.map(({ at }) => at)));
        const { maxCount, maxWaitMs, minIntervalMs } = batchPolicy;
        flushes.forEach(({ at, batch }, index) => {
          expect(batch.length).toBeGreaterThan(0);
          for (const item of batch) expect(at - arrivals[item]!).toBeLessThanOrEqual(Math.max(maxWaitMs, minIntervalMs));
          const previous = flushes[index - 1];
          if (previous === undefined) return;
          expect(at - previous.at).toBeGreaterThanOrEqual(minIntervalMs);
          // Only a flush held back by the interval may carry more than maxCount.
          if (batch.length > maxCount) expect(at - previous.at).toBe(minIntervalMs);
        });
      }),
      { numRuns: 300 },
    );
  });
});
