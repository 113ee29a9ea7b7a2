import {
  type ColumnBatch,
  type ColumnSpec,
  float32ListColumn,
  stringBytesAt,
  stringColumn,
} from '@platform/columnar';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { bulkColumnarIoFor } from './bulk-columnar-io-factory';

const ROWS = 1_000_000;
const WRITE_BATCH_ROWS = 100_000;
const READ_BATCH_ROWS = 65_536;

const COLUMNS: readonly ColumnSpec[] = [
  { name: 'seq', type: 'UInt32' },
  { name: 'id', type: 'String' },
  { name: 'f32', type: 'Float32' },
  { name: 'f64', type: 'Float64' },
  { name: 'u64', type: 'UInt64' },
  { name: 'outputs', type: 'Array(Float32)' },
];

/** Values whose bits naive paths change: NaN payloads, -0, infinities, denormals. */
const F32_SPECIAL_BITS = [0x7fc00001, 0xffc00000, 0x80000000, 0x7f800000, 0xff800000, 0x00000001, 0x7f7fffff];
const F64_SPECIAL = [NaN, -0, Infinity, -Infinity, Number.MIN_VALUE, Number.MAX_VALUE, 0.1];

/** Ids that are not valid UTF-8, or are otherwise awkward, mixed among plain ones. */
const SPECIAL_IDS = [
  Uint8Array.from([0xff, 0xfe, 0x00, 0x27, 0x5c]),
  Uint8Array.from([0xc3]),
  Uint8Array.from([0x0a, 0x0a, 0x0d]),
  new Uint8Array(0),
  new TextEncoder().encode('ünïcødé 😀'),
];

function idOf(seq: number): Uint8Array {
  return seq % 1000 < SPECIAL_IDS.length ? SPECIAL_IDS[seq % 1000]! : new TextEncoder().encode(`entity-${seq}`);
}

function expectedBatch(start: number, count: number): ColumnBatch {
  const seq = new Uint32Array(count);
  const f32 = new Float32Array(count);
  const f32Bits = new Uint32Array(f32.buffer);
  const f64 = new Float64Array(count);
  const u64 = new BigUint64Array(count);
  const ids: Uint8Array[] = [];
  const outputs: number[][] = [];
  for (let i = 0; i < count; i++) {
    const row = start + i;
    seq[i] = row;
    if (row % 97 < F32_SPECIAL_BITS.length) f32Bits[i] = F32_SPECIAL_BITS[row % 97]!;
    else f32[i] = row / 7;
    f64[i] = row % 89 < F64_SPECIAL.length ? F64_SPECIAL[row % 89]! : row / 3;
    u64[i] = BigInt(row) * 0x1_0000_0001n;
    ids.push(idOf(row));
    outputs.push(row % 5 === 0 ? [] : [row / 16, -row / 32]);
  }
  return {
    rowCount: count,
    columns: { seq, id: stringColumn(ids), f32, f64, u64, outputs: float32ListColumn(outputs) },
  };
}

function* generate(): Generator<ColumnBatch> {
  for (let start = 0; start < ROWS; start += WRITE_BATCH_ROWS) yield expectedBatch(start, WRITE_BATCH_ROWS);
}

function bits(values: ArrayBufferView): Buffer {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
}

function expectBitExact(actual: ColumnBatch, expected: ColumnBatch): void {
  for (const name of ['seq', 'f32', 'f64', 'u64']) {
    expect(bits(actual.columns[name] as ArrayBufferView).equals(bits(expected.columns[name] as ArrayBufferView))).toBe(true);
  }
  const actualIds = actual.columns['id'] as ReturnType<typeof stringColumn>;
  const expectedIds = expected.columns['id'] as ReturnType<typeof stringColumn>;
  for (let row = 0; row < actual.rowCount; row++) {
    if (!Buffer.from(stringBytesAt(actualIds, row)).equals(Buffer.from(stringBytesAt(expectedIds, row)))) {
      throw new Error(`id of row ${row} differs`);
    }
  }
  const actualOutputs = actual.columns['outputs'] as ReturnType<typeof float32ListColumn>;
  const expectedOutputs = expected.columns['outputs'] as ReturnType<typeof float32ListColumn>;
  expect(Array.from(actualOutputs.offsets)).toEqual(Array.from(expectedOutputs.offsets));
  expect(bits(actualOutputs.values).equals(bits(expectedOutputs.values))).toBe(true);
}

describe.each(ENGINE_KINDS)('bulk columnar I/O on %s', (kind) => {
  const engine = useTestEngine(kind, { migrate: false });

  it(`round-trips ${ROWS} rows bit-exactly in bounded batches`, async () => {
    const table = engine().table('bulk_roundtrip');
    await engine().command(
      `CREATE TABLE ${table} (seq UInt32, id String, f32 Float32, f64 Float64, u64 UInt64, outputs Array(Float32))
       ENGINE = MergeTree() ORDER BY seq`,
      'create bulk_roundtrip',
    );
    const io = bulkColumnarIoFor(engine());
    const written = await io.write({ table: table.text, columns: COLUMNS, batches: generate() });
    expect(written.rows).toBe(ROWS);

    let seen = 0;
    let peakRetainedBytes = 0;
    const baseline = process.memoryUsage().arrayBuffers;
    for await (const batch of io.read({
      query: `SELECT * FROM ${table} ORDER BY seq`,
      columns: COLUMNS,
      maxRowsPerBatch: READ_BATCH_ROWS,
    })) {
      expect(batch.rowCount).toBeLessThanOrEqual(READ_BATCH_ROWS);
      expectBitExact(batch, expectedBatch(seen, batch.rowCount));
      seen += batch.rowCount;
      peakRetainedBytes = Math.max(peakRetainedBytes, process.memoryUsage().arrayBuffers - baseline);
    }
    expect(seen).toBe(ROWS);
    // The result is ~60 MB of column data; a reader that held it all would pass this bound.
    expect(peakRetainedBytes).toBeLessThan(48 * 1024 * 1024);
  });

  it('reads an empty result of every column type as no batches', async () => {
    const table = engine().table('bulk_empty');
    await engine().command(
      `CREATE TABLE ${table} (seq UInt32, id String, f32 Float32, f64 Float64, u64 UInt64, outputs Array(Float32))
       ENGINE = MergeTree() ORDER BY seq`,
      'create bulk_empty',
    );
    const batches = [];
    for await (const batch of bulkColumnarIoFor(engine()).read({
      query: `SELECT * FROM ${table}`,
      columns: COLUMNS,
      maxRowsPerBatch: 100,
    })) {
      batches.push(batch);
    }
    expect(batches).toEqual([]);
  });

  it('refuses a column whose engine type differs from the requested one', async () => {
    const io = bulkColumnarIoFor(engine());
    const read = async (): Promise<void> => {
      for await (const batch of io.read({
        query: 'SELECT toFloat64(number) AS x FROM system.numbers LIMIT 10',
        columns: [{ name: 'x', type: 'Float32' }],
        maxRowsPerBatch: 100,
      })) {
        expect(batch).toBeUndefined();
      }
    };
    await expect(read()).rejects.toThrow(/x.*Float32/);
  });

  it('refuses a batch that does not match the columns, naming the column', async () => {
    const io = bulkColumnarIoFor(engine());
    const bad: ColumnBatch = { rowCount: 2, columns: { seq: new Uint32Array(2), id: new Float32Array(2) } };
    await expect(
      io.write({
        table: engine().table('bulk_roundtrip').text,
        columns: [COLUMNS[0]!, COLUMNS[1]!],
        batches: [bad],
      }),
    ).rejects.toThrow(/column id of type String/);
  });
});
