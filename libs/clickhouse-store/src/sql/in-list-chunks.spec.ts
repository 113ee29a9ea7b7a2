import { chunkInList } from './in-list-chunks';
import { quoteList } from './sql-literal';

describe('chunkInList', () => {
  it('keeps every value, in order, in chunks whose IN list fits the budget', () => {
    const ids = Array.from({ length: 10_000 }, (_, i) => `entity-${i}-${'x'.repeat(i % 50)}`);
    const chunks = chunkInList(ids, 16 * 1024);
    expect(chunks.flat()).toEqual(ids);
    expect(chunks.length).toBeGreaterThan(1);
    for (const chunk of chunks) {
      expect(Buffer.byteLength(quoteList(chunk))).toBeLessThanOrEqual(16 * 1024);
    }
  });

  it('returns no chunk for no values', () => {
    expect(chunkInList([])).toEqual([]);
  });
});
