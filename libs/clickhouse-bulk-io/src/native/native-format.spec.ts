import {
  type ColumnBatch,
  type ColumnSpec,
  float32ListColumn,
  float64ListColumn,
  repeatedStringColumn,
  stringColumn,
  stringListColumn,
} from '@platform/columnar';
import { decodeNativeBlocks, encodeNativeBlock, NativeFormatError, NativeStreamServerError } from './native-format';

const SPECS: readonly ColumnSpec[] = [
  { name: 'id', type: 'String' },
  { name: 'score', type: 'Float32' },
  { name: 'at', type: 'UInt64' },
  { name: 'outputs', type: 'Array(Float32)' },
  { name: 'features', type: 'Array(Float64)' },
  { name: 'names', type: 'Array(String)' },
];

const BATCH: ColumnBatch = {
  rowCount: 3,
  columns: {
    id: stringColumn(['a', Uint8Array.from([0xff, 0x00]), 'x'.repeat(300)]),
    score: Float32Array.of(NaN, -0, Infinity),
    at: BigUint64Array.of(0n, 2n ** 63n, 1n),
    outputs: float32ListColumn([[0.5], [], [1, 2, 3]]),
    features: float64ListColumn([[-0, NaN], [], [Number.MAX_VALUE]]),
    names: stringListColumn([['', Uint8Array.from([0xff, 0x0a])], [], ['y'.repeat(200), 'z']]),
  },
};

/** Re-chunks bytes into pieces of `size`, as a network would. */
async function* inPieces(chunks: readonly Uint8Array[], size: number): AsyncGenerator<Uint8Array> {
  const all = Buffer.concat(chunks);
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}

async function collect(source: AsyncIterable<ColumnBatch>): Promise<ColumnBatch[]> {
  const batches: ColumnBatch[] = [];
  for await (const batch of source) batches.push(batch);
  return batches;
}

describe('Native format', () => {
  it.each([1, 7, 1 << 20])('decodes what it encodes, whatever the network chunk size (%i bytes)', async (size) => {
    const blocks = [...encodeNativeBlock(SPECS, BATCH), ...encodeNativeBlock(SPECS, BATCH)];
    const batches = await collect(decodeNativeBlocks(inPieces(blocks, size), SPECS));
    expect(batches).toHaveLength(2);
    for (const batch of batches) {
      expect(batch.rowCount).toBe(3);
      expect(Buffer.from((batch.columns['score'] as Float32Array).buffer).equals(Buffer.from(Float32Array.of(NaN, -0, Infinity).buffer))).toBe(true);
      expect(batch.columns['at']).toEqual(BATCH.columns['at']);
      expect(batch.columns['id']).toEqual(BATCH.columns['id']);
      expect(batch.columns['outputs']).toEqual(BATCH.columns['outputs']);
      expect(batch.columns['features']).toEqual(BATCH.columns['features']);
      expect(batch.columns['names']).toEqual(BATCH.columns['names']);
    }
  });

  it('encodes one value repeated on every row as any other column (run ids, model names)', async () => {
    const specs: readonly ColumnSpec[] = [
      { name: 'run_id', type: 'String' },
      { name: 'names', type: 'Array(String)' },
    ];
    const long = 'r'.repeat(200); // a two-byte varint length
    const batch: ColumnBatch = {
      rowCount: 3,
      columns: { run_id: repeatedStringColumn(long, 3), names: stringListColumn([['', ''], [], ['']]) },
    };
    const value = Buffer.concat([Buffer.of(0xc8, 0x01), Buffer.from(long)]);
    const chunks = encodeNativeBlock(specs, batch);
    expect(Buffer.concat(chunks).includes(Buffer.concat([value, value, value]))).toBe(true);
    // header, name, type, then the values: the same column object is encoded once
    expect(encodeNativeBlock(specs, batch)[3]).toBe(chunks[3]);
    const distinct: ColumnBatch = { rowCount: 3, columns: { run_id: stringColumn(['a', 'b', 'c']), names: stringListColumn([[], [], []]) } };
    expect(encodeNativeBlock(specs, distinct)[3]).not.toBe(encodeNativeBlock(specs, distinct)[3]);
    const [decoded] = await collect(decodeNativeBlocks(inPieces(encodeNativeBlock(specs, batch), 64), specs));
    expect(decoded!.columns['run_id']).toEqual(batch.columns['run_id']);
    expect(decoded!.columns['names']).toEqual(batch.columns['names']);
  });

  it('surfaces error text the server appended mid-stream', async () => {
    const error = new TextEncoder().encode('Code: 241, e.displayText() = DB::Exception: Memory limit exceeded\n');
    const source = inPieces([...encodeNativeBlock(SPECS, BATCH), error], 5);
    await expect(collect(decodeNativeBlocks(source, SPECS))).rejects.toThrow(
      new NativeStreamServerError('Code: 241, e.displayText() = DB::Exception: Memory limit exceeded'),
    );
  });

  it('refuses a column of another type than requested', async () => {
    const source = inPieces(encodeNativeBlock(SPECS, BATCH), 64);
    const expecting = SPECS.map((spec) => (spec.name === 'score' ? { ...spec, type: 'Float64' as const } : spec));
    await expect(collect(decodeNativeBlocks(source, expecting))).rejects.toThrow(NativeFormatError);
  });

  it('fails on a truncated stream instead of yielding a short batch', async () => {
    const all = Buffer.concat(encodeNativeBlock(SPECS, BATCH));
    await expect(collect(decodeNativeBlocks(inPieces([all.subarray(0, all.length - 3)], 16), SPECS))).rejects.toThrow(
      /stream ended/,
    );
  });
});
