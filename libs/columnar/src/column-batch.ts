import {
  type ColumnBatch,
  type ColumnSpec,
  type ColumnValues,
  type Float32ListColumn,
  type Float64ListColumn,
  type FixedWidthArray,
  isFixedWidthType,
  KIND_OF_TYPE,
  type ListColumn,
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

/** Typed arrays of one type laid end to end in a new array of that type. */
function concatArrays<T extends FixedWidthArray>(parts: readonly T[]): T {
  const Type = parts[0]!.constructor as new (length: number) => T;
  const out = new Type(parts.reduce((total, part) => total + part.length, 0));
  let position = 0;
  for (const part of parts) {
    (out as { set(values: T, offset: number): void }).set(part, position);
    position += part.length;
  }
  return out;
}

/** Offsets of the parts laid end to end; each part's offsets may start anywhere. */
function concatOffsets(parts: readonly Int32Array[]): Int32Array {
  const out = new Int32Array(parts.reduce((total, part) => total + part.length - 1, 0) + 1);
  let row = 0;
  for (const part of parts) {
    const shift = out[row]! - part[0]!;
    for (let index = 1; index < part.length; index++) out[row + index] = part[index]! + shift;
    row += part.length - 1;
  }
  return out;
}

/** The values the rows of a list column use: its offsets may start past 0 and end before the end. */
function usedValues<T extends ListColumn>(column: T): T['values'] {
  const first = column.offsets[0]!;
  const end = column.offsets[column.offsets.length - 1]!;
  return (column.kind === 'string-list' ? sliceStringColumn(column.values, first, end) : column.values.subarray(first, end)) as T['values'];
}

function concatStringColumns(parts: readonly StringColumn[]): StringColumn {
  const bytes = concatArrays(parts.map((part) => part.bytes.subarray(part.offsets[0], part.offsets[part.offsets.length - 1])));
  return { kind: 'string', offsets: concatOffsets(parts.map((part) => part.offsets)), bytes };
}

function concatColumn(parts: readonly ColumnValues[]): ColumnValues {
  const first = parts[0]!;
  if (!('kind' in first)) return concatArrays(parts as (typeof first)[]);
  if (first.kind === 'string') return concatStringColumns(parts as StringColumn[]);
  const lists = parts as ListColumn[];
  const offsets = concatOffsets(lists.map((part) => part.offsets));
  switch (first.kind) {
    case 'float32-list':
      return { kind: first.kind, offsets, values: concatArrays((lists as Float32ListColumn[]).map(usedValues)) };
    case 'float64-list':
      return { kind: first.kind, offsets, values: concatArrays((lists as Float64ListColumn[]).map(usedValues)) };
    case 'string-list':
      return { kind: first.kind, offsets, values: concatStringColumns((lists as StringListColumn[]).map(usedValues)) };
  }
}

/** Batches with the same columns, one after the other, as one batch (copied once). */
export function concatBatches(batches: readonly ColumnBatch[]): ColumnBatch {
  if (batches.length === 1) return batches[0]!;
  const columns: Record<string, ColumnValues> = {};
  for (const name of Object.keys(batches[0]!.columns)) columns[name] = concatColumn(batches.map((batch) => batch.columns[name]!));
  return { rowCount: batches.reduce((total, batch) => total + batch.rowCount, 0), columns };
}

/**
 * Re-cuts a stream of batches into batches of at most `rows` rows and, but for the last, at least
 * half that: large ones are sliced, small ones merged. An engine's blocks follow its storage, joins
 * and filters, not the consumer, and every batch costs the consumer a fixed price (one insert, one
 * model call). A batch already within the bounds passes through uncopied.
 */
export async function* rebatch(batches: AsyncIterable<ColumnBatch>, rows: number): AsyncGenerator<ColumnBatch> {
  const enough = Math.ceil(rows / 2);
  let pending: ColumnBatch[] = [];
  let pendingRows = 0;
  for await (const batch of batches) {
    if (batch.rowCount === 0) continue;
    if (pendingRows === 0 && batch.rowCount >= enough && batch.rowCount <= rows) {
      yield batch;
      continue;
    }
    pending.push(batch);
    pendingRows += batch.rowCount;
    if (pendingRows < enough) continue;
    const merged = concatBatches(pending);
    let start = 0;
    for (; merged.rowCount - start >= enough; start += rows) yield sliceBatch(merged, start, Math.min(start + rows, merged.rowCount));
    pending = start < merged.rowCount ? [sliceBatch(merged, start, merged.rowCount)] : [];
    pendingRows = Math.max(0, merged.rowCount - start);
  }
  if (pendingRows > 0) yield concatBatches(pending);
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

/** `unit` `times` over, by doubling copies: a few native copies instead of one per repeat. */
export function repeatBytes(unit: Uint8Array, times: number): Uint8Array {
  const all = new Uint8Array(unit.length * times);
  if (times > 0) all.set(unit);
  for (let filled = unit.length; filled < all.length; filled *= 2) all.copyWithin(filled, 0, Math.min(filled, all.length - filled));
  return all;
}

/** The value of rows [first, end) when every one of them holds the same (a run id, a model name), else null. */
export function repeatedValueOf(column: StringColumn, first: number, end: number): Uint8Array | null {
  if (end - first < 2) return null;
  const { offsets, bytes } = column;
  const length = offsets[first + 1]! - offsets[first]!;
  for (let row = first + 1; row < end; row++) if (offsets[row + 1]! - offsets[row]! !== length) return null;
  const start = offsets[first]!;
  const stop = offsets[end]!;
  // Values of one length whose bytes equal themselves shifted by one value are all the first.
  if (Buffer.compare(bytes.subarray(start + length, stop), bytes.subarray(start, stop - length)) !== 0) return null;
  return bytes.subarray(start, start + length);
}

/** The same value on every row, encoded once. */
export function repeatedStringColumn(value: string, rows: number): StringColumn {
  const bytes = encoder.encode(value);
  const offsets = new Int32Array(rows + 1);
  for (let row = 1; row <= rows; row++) offsets[row] = row * bytes.length;
  return { kind: 'string', offsets, bytes: repeatBytes(bytes, rows) };
}

/**
 * Repeated columns kept for reuse. A writer asks for the same value and row count chunk after
 * chunk (a run id, a model name), and an encoder may memoize a column object's encoding, so handing
 * back the same object spares building and encoding megabytes per chunk. Holds the `capacity` most
 * recently used.
 */
export class RepeatedStringColumns {
  private readonly recent = new Map<string, StringColumn>();

  constructor(private readonly capacity = 4) {}

  get(value: string, rows: number): StringColumn {
    const key = `${rows}:${value}`;
    const column = this.recent.get(key) ?? repeatedStringColumn(value, rows);
    // Re-inserted, so the Map's order is least recently used first.
    this.recent.delete(key);
    this.recent.set(key, column);
    if (this.recent.size > this.capacity) this.recent.delete(this.recent.keys().next().value!);
    return column;
  }
}

/** Values up to this many bytes are copied in a JS loop; longer ones by a native copy. */
const SHORT_VALUE_BYTES = 64;

/**
 * Copies source[start, start + length) to target at `position`. Ids and names are short: a byte
 * loop beats a subarray view and a native copy per value.
 */
export function copyValueBytes(target: Uint8Array, position: number, source: Uint8Array, start: number, length: number): void {
  if (length <= SHORT_VALUE_BYTES) {
    for (let index = 0; index < length; index++) target[position + index] = source[start + index]!;
  } else {
    target.set(source.subarray(start, start + length), position);
  }
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

  /** Adds the value whose UTF-8 bytes are source[start, start + length), as they are. */
  addBytes(source: Uint8Array, start: number, length: number): void {
    this.reserve(length);
    copyValueBytes(this.bytes, this.length, source, start, length);
    this.length += length;
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
