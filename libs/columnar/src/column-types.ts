/**
 * Columns as typed arrays: the shape bulk reads produce and bulk writes take, and what the model
 * runtime turns into tensors without a per-row object.
 */

export type FixedWidthColumnType = 'Float32' | 'Float64' | 'UInt8' | 'UInt32' | 'Int32' | 'UInt64' | 'Int64';
export type ColumnType = FixedWidthColumnType | 'String' | 'Array(Float32)';

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/**
 * Strings as bytes (Arrow's Binary layout): value i is bytes[offsets[i], offsets[i + 1]). Bytes,
 * not JS strings, so ids that are not valid UTF-8 survive a round trip unchanged.
 */
export interface StringColumn {
  readonly kind: 'string';
  readonly offsets: Int32Array;
  readonly bytes: Uint8Array;
}

/** A list of Float32 per row (Arrow's List layout): row i is values[offsets[i], offsets[i + 1]). */
export interface Float32ListColumn {
  readonly kind: 'float32-list';
  readonly offsets: Int32Array;
  readonly values: Float32Array;
}

export interface FixedWidthArrays {
  Float32: Float32Array;
  Float64: Float64Array;
  UInt8: Uint8Array;
  UInt32: Uint32Array;
  Int32: Int32Array;
  UInt64: BigUint64Array;
  Int64: BigInt64Array;
}

export type FixedWidthArray = FixedWidthArrays[FixedWidthColumnType];
export type ColumnValues = FixedWidthArray | StringColumn | Float32ListColumn;

/** Values of one column type. */
export type ColumnValuesOf<T extends ColumnType> = T extends FixedWidthColumnType
  ? FixedWidthArrays[T]
  : T extends 'String'
    ? StringColumn
    : Float32ListColumn;

/** A bounded chunk of rows, column by column, in the order of the request's specs. */
export interface ColumnBatch {
  readonly rowCount: number;
  readonly columns: Readonly<Record<string, ColumnValues>>;
}

export const BYTES_PER_VALUE: Readonly<Record<FixedWidthColumnType, number>> = {
  Float32: 4,
  Float64: 8,
  UInt8: 1,
  UInt32: 4,
  Int32: 4,
  UInt64: 8,
  Int64: 8,
};

const FIXED_WIDTH_CONSTRUCTORS = {
  Float32: Float32Array,
  Float64: Float64Array,
  UInt8: Uint8Array,
  UInt32: Uint32Array,
  Int32: Int32Array,
  UInt64: BigUint64Array,
  Int64: BigInt64Array,
} as const;

export function isFixedWidthType(type: ColumnType): type is FixedWidthColumnType {
  return type in FIXED_WIDTH_CONSTRUCTORS;
}

/** Copies little-endian bytes into a new, aligned typed array of the column's type. */
export function fixedWidthFromBytes<T extends FixedWidthColumnType>(
  type: T,
  bytes: Uint8Array,
  rowCount: number,
): FixedWidthArrays[T] {
  const width = BYTES_PER_VALUE[type];
  const copy = new Uint8Array(rowCount * width);
  copy.set(bytes.subarray(0, rowCount * width));
  return new FIXED_WIDTH_CONSTRUCTORS[type](copy.buffer, 0, rowCount) as FixedWidthArrays[T];
}

export function bytesOf(values: FixedWidthArray): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
