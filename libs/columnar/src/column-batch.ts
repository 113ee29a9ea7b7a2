import {
  type ColumnBatch,
  type ColumnSpec,
  type ColumnValues,
  type Float32ListColumn,
  type Float64ListColumn,
  isFixedWidthType,
  KIND_OF_TYPE,
  type StringColumn,
  type StringListColumn,
} from './column-types';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function stringColumn(values: readonly (string | Uint8Array)[]): StringColumn {
  const encoded = values.map((value) => (typeof value === 'string' ? encoder.encode(value) : value));
  const offsets = new Int32Array(encoded.length + 1);
  let total = 0;
  encoded.forEach((bytes, index) => {
    total += bytes.length;
    offsets[index + 1] = total;
  });
  const bytes = new Uint8Array(total);
  encoded.forEach((value, index) => bytes.set(value, offsets[index]));
  return { kind: 'string', offsets, bytes };
}

export function stringBytesAt(column: StringColumn, row: number): Uint8Array {
  return column.bytes.subarray(column.offsets[row], column.offsets[row + 1]);
}

/** Decodes one value as UTF-8 (invalid sequences become U+FFFD: use stringBytesAt for exact ids). */
export function stringAt(column: StringColumn, row: number): string {
  return decoder.decode(stringBytesAt(column, row));
}

/** Offsets of lists of the given lengths: list i is [offsets[i], offsets[i + 1]). */
function listOffsets(rows: readonly { readonly length: number }[]): Int32Array {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((row, index) => (offsets[index + 1] = offsets[index]! + row.length));
  return offsets;
}

export function float32ListColumn(rows: readonly (readonly number[])[]): Float32ListColumn {
  return { kind: 'float32-list', offsets: listOffsets(rows), values: Float32Array.from(rows.flat()) };
}

export function float32ListAt(column: Float32ListColumn, row: number): Float32Array {
  return column.values.subarray(column.offsets[row], column.offsets[row + 1]);
}

export function float64ListColumn(rows: readonly (readonly number[])[]): Float64ListColumn {
  return { kind: 'float64-list', offsets: listOffsets(rows), values: Float64Array.from(rows.flat()) };
}

export function float64ListAt(column: Float64ListColumn, row: number): Float64Array {
  return column.values.subarray(column.offsets[row], column.offsets[row + 1]);
}

export function stringListColumn(rows: readonly (readonly (string | Uint8Array)[])[]): StringListColumn {
  return { kind: 'string-list', offsets: listOffsets(rows), values: stringColumn(rows.flat()) };
}

/** The strings of one row, decoded as UTF-8 (see stringAt). */
export function stringsAt(column: StringListColumn, row: number): string[] {
  const strings: string[] = [];
  for (let index = column.offsets[row]!; index < column.offsets[row + 1]!; index++) strings.push(stringAt(column.values, index));
  return strings;
}

/** The strings of one row, as a column of their own (sharing memory with the list column). */
export function stringListAt(column: StringListColumn, row: number): StringColumn {
  return sliceStringColumn(column.values, column.offsets[row]!, column.offsets[row + 1]!);
}

function rowCountOf(values: ColumnValues): number {
  return 'kind' in values ? values.offsets.length - 1 : values.length;
}

function rebasedOffsets(offsets: Int32Array, start: number, end: number): Int32Array {
  const slice = offsets.subarray(start, end + 1);
  const base = slice[0]!;
  return base === 0 ? slice : slice.map((offset) => offset - base);
}

function sliceStringColumn(column: StringColumn, start: number, end: number): StringColumn {
  const bytes = column.bytes.subarray(column.offsets[start], column.offsets[end]);
  return { kind: 'string', offsets: rebasedOffsets(column.offsets, start, end), bytes };
}

function sliceColumn(values: ColumnValues, start: number, end: number): ColumnValues {
  if (!('kind' in values)) return values.subarray(start, end);
  if (values.kind === 'string') return sliceStringColumn(values, start, end);
  const offsets = rebasedOffsets(values.offsets, start, end);
  const from = values.offsets[start]!;
  const to = values.offsets[end]!;
  switch (values.kind) {
    case 'float32-list':
      return { kind: values.kind, offsets, values: values.values.subarray(from, to) };
    case 'float64-list':
      return { kind: values.kind, offsets, values: values.values.subarray(from, to) };
    case 'string-list':
      return { kind: values.kind, offsets, values: sliceStringColumn(values.values, from, to) };
  }
}

/** Rows [start, end) of a batch, sharing memory with it where the layout allows. */
export function sliceBatch(batch: ColumnBatch, start: number, end: number): ColumnBatch {
  const columns: Record<string, ColumnValues> = {};
  for (const [name, values] of Object.entries(batch.columns)) columns[name] = sliceColumn(values, start, end);
  return { rowCount: end - start, columns };
}

/** Splits a batch into pieces of at most maxRows rows. */
export function* splitBatch(batch: ColumnBatch, maxRows: number): Generator<ColumnBatch> {
  if (batch.rowCount <= maxRows) {
    yield batch;
    return;
  }
  for (let start = 0; start < batch.rowCount; start += maxRows) {
    yield sliceBatch(batch, start, Math.min(start + maxRows, batch.rowCount));
  }
}

export class ColumnBatchError extends Error {
  override readonly name = 'ColumnBatchError';
}

/** Checks that a batch has exactly the columns of the specs, of the right kinds and lengths. */
export function assertBatchMatches(specs: readonly ColumnSpec[], batch: ColumnBatch): void {
  const names = Object.keys(batch.columns);
  if (names.length !== specs.length || specs.some((spec) => !(spec.name in batch.columns))) {
    throw new ColumnBatchError(
      `batch has columns [${names.join(', ')}], expected [${specs.map((s) => s.name).join(', ')}]`,
    );
  }
  for (const spec of specs) {
    const values = batch.columns[spec.name]!;
    const expectedKind = isFixedWidthType(spec.type) ? undefined : KIND_OF_TYPE[spec.type];
    const actualKind = 'kind' in values ? values.kind : undefined;
    if (expectedKind !== actualKind) {
      throw new ColumnBatchError(`column ${spec.name} of type ${spec.type} holds ${actualKind ?? values.constructor.name}`);
    }
    if (rowCountOf(values) !== batch.rowCount) {
      throw new ColumnBatchError(`column ${spec.name} has ${rowCountOf(values)} rows, the batch ${batch.rowCount}`);
    }
  }
}

/** The same value on every row, encoded once. */
export function repeatedStringColumn(value: string, rows: number): StringColumn {
  const bytes = encoder.encode(value);
  const all = new Uint8Array(bytes.length * rows);
  const offsets = new Int32Array(rows + 1);
  for (let row = 0; row < rows; row++) {
    all.set(bytes, row * bytes.length);
    offsets[row + 1] = (row + 1) * bytes.length;
  }
  return { kind: 'string', offsets, bytes: all };
}

/**
 * A StringColumn built one value at a time straight into one growing buffer: no byte array per
 * value. Values are written as UTF-8 (a lone surrogate becomes U+FFFD, as with TextEncoder).
 */
export class StringColumnBuilder {
  private bytes: Buffer;
  private offsets: Int32Array;
  private count = 0;
  private length = 0;

  constructor(expectedValues = 64, expectedBytesPerValue = 16) {
    this.offsets = new Int32Array(expectedValues + 1);
    this.bytes = Buffer.allocUnsafe(Math.max(64, expectedValues * expectedBytesPerValue));
  }

  get size(): number {
    return this.count;
  }

  add(value: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    this.reserve(value.length * 3);
    let position = this.length;
    const bytes = this.bytes;
    // Short ASCII values (ids, names) are copied in JS, cheaper than a call into the encoder.
    let index = 0;
    for (; index < value.length; index++) {
      const code = value.charCodeAt(index);
      if (code >= 0x80) break;
      bytes[position++] = code;
    }
    if (index < value.length) position += bytes.write(value.slice(index), position, 'utf8');
    this.length = position;
    this.push();
  }

  build(): StringColumn {
    return { kind: 'string', offsets: this.offsets.subarray(0, this.count + 1), bytes: this.bytes.subarray(0, this.length) };
  }

  private reserve(extraBytes: number): void {
    if (this.length + extraBytes > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extraBytes));
      this.bytes.copy(grown, 0, 0, this.length);
      this.bytes = grown;
    }
  }

  private push(): void {
    if (this.count + 2 > this.offsets.length) {
      const grown = new Int32Array(this.offsets.length * 2);
      grown.set(this.offsets);
      this.offsets = grown;
    }
    this.offsets[++this.count] = this.length;
  }
}
