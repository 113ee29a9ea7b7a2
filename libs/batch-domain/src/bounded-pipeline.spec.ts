import { runBoundedPipeline } from './bounded-pipeline';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runBoundedPipeline', () => {
  it('runs the stages concurrently, in order, and never lets more than the depth pile up', async () => {
    let produced = 0;
    let consumed = 0;
    let mostAhead = 0;
    async function* source() {
      for (let item = 0; item < 20; item++) {
        produced++;
        mostAhead = Math.max(mostAhead, produced - consumed);
        yield item;
      }
    }
    const seen: number[] = [];
    const started = performance.now();
    await runBoundedPipeline(
      source(),
      async (item) => {
        await tick(5);
        return item * 10;
      },
      async (item) => {
        await tick(5);
        seen.push(item);
        consumed++;
      },
      2,
    );
    expect(seen).toEqual(Array.from({ length: 20 }, (_, item) => item * 10));
    // Sequential stages would take 20 x 10 ms; overlapped, the slower stage (5 ms) sets the pace.
    expect(performance.now() - started).toBeLessThan(180);
    // depth 2 per buffer: source buffer, transform's two buffers, sink buffer, plus one in each stage.
    expect(mostAhead).toBeLessThanOrEqual(2 * 4 + 3);
  });

  it('stops every stage and closes the source on the first error', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let item = 0; ; item++) yield item;
      } finally {
        closed = true;
      }
    }
    const written: number[] = [];
    await expect(
      runBoundedPipeline(
        source(),
        async (item) => {
          if (item === 5) throw new Error('bad chunk');
          return item;
        },
        async (item) => void written.push(item),
        2,
      ),
    ).rejects.toThrow('bad chunk');
    expect(closed).toBe(true);
    expect(written.length).toBeLessThanOrEqual(5);
  });
});
