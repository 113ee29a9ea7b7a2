import {
  assertBatchMatches,
  float32ListAt,
  float32ListColumn,
  float64ListAt,
  float64ListColumn,
  concatBatches,
  rebatch,
  sliceBatch,
  stringAt,
  stringBytesAt,
  repeatedStringColumn,
  RepeatedStringColumns,
  repeatedValueOf,
  stringColumn,
  StringColumnBuilder,
  stringListAt,
  stringListColumn,
} from './column-batch';
import { type ColumnBatch } from './column-types';

const batch: ColumnBatch = {
  rowCount: 4,
  columns: {
    id: stringColumn(['a', 'bb', Uint8Array.from([0xff]), '']),
    score: Float32Array.of(1, 2, 3, 4),
    outputs: float32ListColumn([[1], [2, 3], [], [4]]),
    features: float64ListColumn([[0.5, -0], [], [NaN], [1e300]]),
    names: stringListColumn([['a'], ['', Uint8Array.from([0xc3])], [], ['b', 'cc']]),
  },
};

function strings(column: ReturnType<typeof stringColumn>): number[][] {
  return Array.from({ length: column.offsets.length - 1 }, (_, row) => Array.from(stringBytesAt(column, row)));
}

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
    const features = slice.columns['features'] as ReturnType<typeof float64ListColumn>;
    expect(Array.from(features.offsets)).toEqual([0, 0, 1]);
    expect(Array.from(float64ListAt(features, 1))).toEqual([NaN]);
    const names = slice.columns['names'] as ReturnType<typeof stringListColumn>;
    expect(Array.from(names.offsets)).toEqual([0, 2, 2]);
    expect(strings(stringListAt(names, 0))).toEqual([[], [0xc3]]);
    expect(strings(stringListAt(names, 1))).toEqual([]);
    expect(Array.from(names.values.offsets)).toEqual([0, 0, 1]);
  });

  it('slices the last rows of list columns, leaving the earlier values out', () => {
    const slice = sliceBatch(batch, 3, 4);
    const names = slice.columns['names'] as ReturnType<typeof stringListColumn>;
    expect(strings(stringListAt(names, 0))).toEqual([[0x62], [0x63, 0x63]]);
    expect(Array.from(names.values.bytes)).toEqual([0x62, 0x63, 0x63]);
    expect(Array.from((slice.columns['features'] as ReturnType<typeof float64ListColumn>).values)).toEqual([1e300]);
  });

  it('concatenates batches, whatever offset each list and string column starts at', () => {
    const pieces = [sliceBatch(batch, 0, 1), sliceBatch(batch, 1, 3), sliceBatch(batch, 3, 4)];
    expect(concatBatches(pieces)).toEqual({ ...batch, columns: { ...batch.columns } });
    // Views that do not start at their buffer's start, as engines hand them over.
    const views = [sliceBatch(batch, 2, 4), sliceBatch(batch, 1, 2)];
    const joined = concatBatches(views);
    expect(joined.rowCount).toBe(3);
    expect(strings(joined.columns['id'] as ReturnType<typeof stringColumn>)).toEqual([[0xff], [], [0x62, 0x62]]);
    expect(Array.from(joined.columns['score'] as Float32Array)).toEqual([3, 4, 2]);
    const outputs = joined.columns['outputs'] as ReturnType<typeof float32ListColumn>;
    expect([0, 1, 2].map((row) => Array.from(float32ListAt(outputs, row)))).toEqual([[], [4], [2, 3]]);
    const names = joined.columns['names'] as ReturnType<typeof stringListColumn>;
    expect([0, 1, 2].map((row) => strings(stringListAt(names, row)))).toEqual([[], [[0x62], [0x63, 0x63]], [[], [0xc3]]]);
  });

  async function* from(batches: readonly ColumnBatch[]): AsyncGenerator<ColumnBatch> {
    yield* batches;
  }

  async function collect(batches: AsyncIterable<ColumnBatch>): Promise<ColumnBatch[]> {
    const out: ColumnBatch[] = [];
    for await (const piece of batches) out.push(piece);
    return out;
  }

  const rowsOf = (batches: readonly ColumnBatch[]): number[] => batches.flatMap((piece) => Array.from(piece.columns['score'] as Float32Array));

  it('re-cuts a stream into batches of at most the given size and at least half, merging small ones and slicing large ones, rows in order', async () => {
    const stream = [sliceBatch(batch, 0, 1), sliceBatch(batch, 1, 1), sliceBatch(batch, 1, 2), batch, sliceBatch(batch, 2, 4)];
    const pieces = await collect(rebatch(from(stream), 3));
    expect(pieces.map((piece) => piece.rowCount)).toEqual([2, 3, 3]);
    expect(rowsOf(pieces)).toEqual([1, 2, 1, 2, 3, 4, 3, 4]);
    expect(strings(pieces[2]!.columns['id'] as ReturnType<typeof stringColumn>)).toEqual([[], [0xff], []]);
    expect((await collect(rebatch(from([sliceBatch(batch, 0, 1)]), 3))).map((piece) => piece.rowCount)).toEqual([1]);
  });

  it('passes a batch within the bounds through uncopied', async () => {
    const pieces = await collect(rebatch(from([batch, batch]), 6));
    expect(pieces).toHaveLength(2);
    expect(pieces[0]).toBe(batch);
    expect(pieces[1]).toBe(batch);
    expect(await collect(rebatch(from([]), 4))).toEqual([]);
  });

  it('checks columns, kinds and lengths against the specs', () => {
    const specs = [
      { name: 'id', type: 'String' as const },
      { name: 'score', type: 'Float32' as const },
      { name: 'outputs', type: 'Array(Float32)' as const },
      { name: 'features', type: 'Array(Float64)' as const },
      { name: 'names', type: 'Array(String)' as const },
    ];
    expect(() => assertBatchMatches(specs, batch)).not.toThrow();
    expect(() => assertBatchMatches(specs.slice(0, 2), batch)).toThrow(/expected \[id, score\]/);
    expect(() => assertBatchMatches([...specs.slice(0, 3), specs[4]!, { name: 'names', type: 'Array(Float64)' }], batch)).toThrow(
      /column names of type Array\(Float64\) holds string-list/,
    );
    expect(() => assertBatchMatches([specs[1]!, { name: 'id', type: 'Float32' }, ...specs.slice(2)], batch)).toThrow(
      /column id of type Float32 holds string/,
    );
    const short = { ...batch, columns: { ...batch.columns, score: Float32Array.of(1) } };
    expect(() => assertBatchMatches(specs, short)).toThrow(/score has 1 rows, the batch 4/);
  });
});

describe('building string columns', () => {
  it('encodes values one by one as stringColumn does, ASCII and not, growing past its first guess', () => {
    const values = ['', 'a', 'ünïcødé 😀', 'x'.repeat(300), 'ascii then ü', '\u0000', 'b'];
    const builder = new StringColumnBuilder(2, 1);
    values.forEach((value) => builder.add(value));
    expect(builder.size).toBe(values.length);
    const built = builder.build();
    expect(Array.from(built.offsets)).toEqual(Array.from(stringColumn(values).offsets));
    expect(Buffer.from(built.bytes).equals(Buffer.from(stringColumn(values).bytes))).toBe(true);
  });

  it('finds the value every row of a range holds, and only then', () => {
    const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString());
    const column = stringColumn(['ab', 'ab', 'ab', 'ba', 'ab', '', '']);
    expect(text(repeatedValueOf(column, 0, 3))).toBe('ab');
    expect(text(repeatedValueOf(column, 5, 7))).toBe('');
    expect(repeatedValueOf(column, 0, 4)).toBeNull(); // same length, other bytes
    expect(repeatedValueOf(column, 2, 5)).toBeNull();
    expect(repeatedValueOf(column, 4, 6)).toBeNull(); // other lengths
    expect(repeatedValueOf(stringColumn(['abab', 'abab', 'abab']), 0, 3)).not.toBeNull();
    expect(repeatedValueOf(stringColumn(['ab', 'ab', 'ab', 'ab']), 0, 1)).toBeNull(); // one row: nothing to gain
    expect(repeatedValueOf(repeatedStringColumn('churn', 1_000), 10, 990)).not.toBeNull();
  });

  it('repeats one value on every row', () => {
    const column = repeatedStringColumn('churn', 3);
    expect([0, 1, 2].map((row) => stringAt(column, row))).toEqual(['churn', 'churn', 'churn']);
    expect(repeatedStringColumn('x', 0).offsets).toEqual(Int32Array.of(0));
    const many = repeatedStringColumn('Zürich', 1_001);
    expect(Buffer.from(many.bytes).equals(Buffer.from('Zürich'.repeat(1_001)))).toBe(true);
    expect(many.offsets[1_001]).toBe(7 * 1_001);
    expect(repeatedStringColumn('', 3)).toEqual({ kind: 'string', offsets: Int32Array.of(0, 0, 0, 0), bytes: new Uint8Array(0) });
  });

  it('hands back the same repeated column for the same value and row count, the most recent few kept', () => {
    const columns = new RepeatedStringColumns(2);
    const run = columns.get('run-1', 100);
    const shorter = columns.get('run-1', 50);
    expect(columns.get('run-1', 100)).toBe(run); // now the most recently used
    expect(shorter).not.toBe(run);
    columns.get('churn', 100); // evicts ('run-1', 50), the least recently used
    expect(columns.get('run-1', 100)).toBe(run);
    const rebuilt = columns.get('run-1', 50);
    expect(rebuilt).not.toBe(shorter);
    expect(rebuilt).toEqual(shorter);
  });
});
