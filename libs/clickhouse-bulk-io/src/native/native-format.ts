import {
  bytesOf,
  type ColumnBatch,
  copyValueBytes,
  type ColumnSpec,
  type ColumnValues,
  fixedWidthArray,
  type FixedWidthArrays,
  type FixedWidthColumnType,
  isFixedWidthType,
  type ListColumn,
  type ListColumnType,
  repeatBytes,
  repeatedValueOf,
  type StringColumn,
  StringColumnBuilder,
} from '@platform/columnar';
import { ByteQueue, readVarUIntAt, varUIntLength, writeVarUInt } from './byte-queue';

/**
 * ClickHouse's Native format over HTTP, as 18.16 and current servers write it when the client
 * announces no protocol revision: per block, the column count and row count as varints, then per
 * column its name, its type name and its values column-wise. Fixed-width values are little-endian
 * arrays, so they map onto typed arrays with one copy; strings are varint-prefixed bytes.
 */

export class NativeFormatError extends Error {
  override readonly name = 'NativeFormatError';
}

/** Error text the server appends to a 200 response when a query fails after streaming began. */
export class NativeStreamServerError extends Error {
  override readonly name = 'NativeStreamServerError';
}

const textDecoder = new TextDecoder();
const ERROR_PREFIX = new TextEncoder().encode('Code: ');

async function readString(queue: ByteQueue): Promise<string> {
  const length = await queue.readVarUInt();
  return textDecoder.decode(await queue.readBytes(length));
}

/**
 * Adds to `column` each whole value (varint length, then bytes) that `source` holds from `start`,
 * up to `wanted` values; returns the index after the last value taken.
 */
function takeWholeValues(column: StringColumnBuilder, wanted: number, source: Uint8Array, start: number): number {
  const cursor = { position: start };
  for (let taken = 0; taken < wanted; taken++) {
    const valueStart = cursor.position;
    const length = readVarUIntAt(source, cursor);
    if (length < 0 || cursor.position + length > source.length) return valueStart;
    column.addBytes(source, cursor.position, length);
    cursor.position += length;
  }
  return cursor.position;
}

async function readStringColumn(queue: ByteQueue, rowCount: number): Promise<StringColumn> {
  const column = new StringColumnBuilder(rowCount);
  for (;;) {
    queue.consumeBuffered((bytes, start) => takeWholeValues(column, rowCount - column.size, bytes, start));
    if (column.size === rowCount) return column.build();
    // The next value runs past the bytes received so far.
    const length = await queue.readVarUInt();
    column.addBytes(await queue.readBytes(length), 0, length);
  }
}

/** Little-endian values straight into a typed array of their own (aligned, so one copy). */
async function readFixedWidth<T extends FixedWidthColumnType>(queue: ByteQueue, type: T, rowCount: number): Promise<FixedWidthArrays[T]> {
  const values = fixedWidthArray(type, rowCount);
  await queue.readInto(bytesOf(values));
  return values;
}

/** An Array column: cumulative end offsets as UInt64, then the nested column of all values. */
async function readListColumn(queue: ByteQueue, type: ListColumnType, rowCount: number): Promise<ListColumn> {
  const ends = await readFixedWidth(queue, 'UInt64', rowCount);
  const offsets = new Int32Array(rowCount + 1);
  ends.forEach((end, row) => (offsets[row + 1] = Number(end)));
  const valueCount = offsets[rowCount]!;
  switch (type) {
    case 'Array(Float32)':
      return { kind: 'float32-list', offsets, values: await readFixedWidth(queue, 'Float32', valueCount) };
    case 'Array(Float64)':
      return { kind: 'float64-list', offsets, values: await readFixedWidth(queue, 'Float64', valueCount) };
    case 'Array(String)':
      return { kind: 'string-list', offsets, values: await readStringColumn(queue, valueCount) };
  }
}

async function readColumn(queue: ByteQueue, spec: ColumnSpec, rowCount: number): Promise<ColumnValues> {
  if (isFixedWidthType(spec.type)) return readFixedWidth(queue, spec.type, rowCount);
  if (spec.type === 'String') return readStringColumn(queue, rowCount);
  return readListColumn(queue, spec.type, rowCount);
}

async function throwIfServerError(queue: ByteQueue): Promise<void> {
  await queue.fill(ERROR_PREFIX.length);
  const head = queue.peek(ERROR_PREFIX.length);
  if (head.length === ERROR_PREFIX.length && head.every((byte, i) => byte === ERROR_PREFIX[i])) {
    throw new NativeStreamServerError(textDecoder.decode(await queue.drain(64 * 1024)).trim());
  }
}

/** Decodes Native blocks into column batches, checking names and types against the specs. */
export async function* decodeNativeBlocks(
  source: AsyncIterable<Uint8Array>,
  specs: readonly ColumnSpec[],
): AsyncGenerator<ColumnBatch> {
  const queue = new ByteQueue(source);
  while (!(await queue.atEnd())) {
    await throwIfServerError(queue);
    const columnCount = await queue.readVarUInt();
    const rowCount = await queue.readVarUInt();
    if (columnCount !== specs.length) {
      throw new NativeFormatError(`block has ${columnCount} columns, expected ${specs.length}`);
    }
    const columns: Record<string, ColumnValues> = {};
    for (const spec of specs) {
      const name = await readString(queue);
      const type = await readString(queue);
      if (name !== spec.name || type !== spec.type) {
        throw new NativeFormatError(
          `column ${name} of type ${type} arrived where ${spec.name} of type ${spec.type} was expected: ` +
            'select the columns in order and cast them to the requested types',
        );
      }
      columns[spec.name] = await readColumn(queue, spec, rowCount);
    }
    if (rowCount > 0) yield { rowCount, columns };
  }
}

/** A String value as Native writes it: its varint length, then its bytes. */
function lengthPrefixed(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(varUIntLength(bytes.length) + bytes.length);
  out.set(bytes, writeVarUInt(out, 0, bytes.length));
  return out;
}

function encodeString(value: string): Uint8Array {
  return lengthPrefixed(Buffer.from(value, 'utf8'));
}

/**
 * Encodings of whole repeated columns by column object. Columns are not mutated once built, so a
 * writer that passes the same object chunk after chunk (RepeatedStringColumns) has it encoded once.
 */
const repeatedColumnEncodings = new WeakMap<StringColumn, Uint8Array>();

/** Strings [first, end) of a column, each as its varint length and its bytes. */
function encodeStringColumn(column: StringColumn, first: number, end: number): Uint8Array {
  const whole = first === 0 && end === column.offsets.length - 1;
  const memo = whole ? repeatedColumnEncodings.get(column) : undefined;
  if (memo !== undefined) return memo;
  // A run id or a model name on every row: one value, copied by doubling.
  const repeated = repeatedValueOf(column, first, end);
  if (repeated !== null) {
    const encoded = repeatBytes(lengthPrefixed(repeated), end - first);
    if (whole) repeatedColumnEncodings.set(column, encoded);
    return encoded;
  }
  let size = column.offsets[end]! - column.offsets[first]!;
  for (let row = first; row < end; row++) size += varUIntLength(column.offsets[row + 1]! - column.offsets[row]!);
  const out = new Uint8Array(size);
  const { bytes } = column;
  // Read once: an imported binding is a getter call on every access once compiled to CommonJS.
  const copy = copyValueBytes;
  let position = 0;
  for (let row = first; row < end; row++) {
    const start = column.offsets[row]!;
    const length = column.offsets[row + 1]! - start;
    position = writeVarUInt(out, position, length);
    copy(out, position, bytes, start, length);
    position += length;
  }
  return out;
}

function encodeListColumn(values: ListColumn, rowCount: number): Uint8Array[] {
  // UInt64 end offsets as little-endian 32-bit halves (offsets fit in 31 bits): no BigInt per row.
  const ends = new Uint32Array(rowCount * 2);
  const base = values.offsets[0]!;
  const end = values.offsets[rowCount]!;
  for (let row = 0; row < rowCount; row++) ends[2 * row] = values.offsets[row + 1]! - base;
  const nested = values.kind === 'string-list' ? encodeStringColumn(values.values, base, end) : bytesOf(values.values.subarray(base, end));
  return [bytesOf(ends), nested];
}

function encodeColumnValues(values: ColumnValues, rowCount: number): Uint8Array[] {
  if (!('kind' in values)) return [bytesOf(values)];
  if (values.kind === 'string') return [encodeStringColumn(values, 0, rowCount)];
  return encodeListColumn(values, rowCount);
}

/** Encodes one batch as one Native block, as a list of byte chunks (fixed-width columns uncopied). */
export function encodeNativeBlock(specs: readonly ColumnSpec[], batch: ColumnBatch): Uint8Array[] {
  const header = new Uint8Array(20);
  let headerLength = writeVarUInt(header, 0, specs.length);
  headerLength = writeVarUInt(header, headerLength, batch.rowCount);
  const chunks: Uint8Array[] = [header.subarray(0, headerLength)];
  for (const spec of specs) {
    chunks.push(encodeString(spec.name), encodeString(spec.type));
    chunks.push(...encodeColumnValues(batch.columns[spec.name]!, batch.rowCount));
  }
  return chunks;
}
