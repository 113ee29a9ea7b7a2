import {
  assertBatchMatches,
  float32ListAt,
  float32ListColumn,
  sliceBatch,
  splitBatch,
  stringAt,
  stringBytesAt,
  stringColumn,
} from './column-batch';
import { type ColumnBatch } from './column-types';

const batch: ColumnBatch = {
  rowCount: 4,
  columns: {
    id: stringColumn(['a', 'bb', Uint8Array.from([0xff]), '']),
    score: Float32Array.of(1, 2, 3, 4),
    outputs: float32ListColumn([[1], [2, 3], [], [4]]),
  },
};

describe('column batches', () => {
  it('slices rows, rebasing offsets so each slice stands alone', () => {
    const slice = sliceBatch(batch, 1, 3);
    const ids = slice.columns['id'] as ReturnType<typeof stringColumn>;
    expect(slice.rowCount).toBe(2);
    expect(Array.from(ids.offsets)).toEqual([0, 2, 3]);
    expect(stringAt(ids, 0)).toBe('bb');
    expect(Array.from(stringBytesAt(ids, 1))).toEqual([0xff]);
    expect(Array.from(slice.columns['score'] as Float32Array)).toEqual([2, 3]);
    const outputs = slice.columns['outputs'] as ReturnType<typeof float32ListColumn>;
    expect(Array.from(float32ListAt(outputs, 0))).toEqual([2, 3]);
    expect(Array.from(float32ListAt(outputs, 1))).toEqual([]);
  });

  it('splits into pieces of at most the given size, keeping every row', () => {
    const pieces = [...splitBatch(batch, 3)];
    expect(pieces.map((piece) => piece.rowCount)).toEqual([3, 1]);
    expect(stringAt(pieces[1]!.columns['id'] as ReturnType<typeof stringColumn>, 0)).toBe('');
  });

  it('checks columns, kinds and lengths against the specs', () => {
    const specs = [
      { name: 'id', type: 'String' as const },
      { name: 'score', type: 'Float32' as const },
      { name: 'outputs', type: 'Array(Float32)' as const },
    ];
    expect(() => assertBatchMatches(specs, batch)).not.toThrow();
    expect(() => assertBatchMatches(specs.slice(0, 2), batch)).toThrow(/expected \[id, score\]/);
    expect(() => assertBatchMatches([specs[1]!, { name: 'id', type: 'Float32' }, specs[2]!], batch)).toThrow(
      /column id of type Float32 holds string/,
    );
    const short = { ...batch, columns: { ...batch.columns, score: Float32Array.of(1) } };
    expect(() => assertBatchMatches(specs, short)).toThrow(/score has 1 rows, the batch 4/);
  });
});
