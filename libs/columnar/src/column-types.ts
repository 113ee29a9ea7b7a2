/**
 * Columns as typed arrays: the shape bulk reads produce and bulk writes take, and what the model
 * runtime turns into tensors without a per-row object.
 */

export type FixedWidthColumnType = 'Float32' | 'Float64' | 'UInt8' | 'UInt32' | 'Int32' | 'UInt64' | 'Int64';
export type ListColumnType = 'Array(Float32)' | 'Array(Float64)' | 'Array(String)';
export type ColumnType = FixedWidthColumnType | 'String' | ListColumnType;

export interface ColumnSpec {
  readonly name: string;
  readonly type: ColumnType;
}

/**
 * Strings as bytes (Arrow's Binary layout): value i is bytes[offsets[i], offsets[i + 1]). Bytes,
 * not JS strings, so ids that are not valid UTF-8 survive a round trip unchanged. A column is not
 * changed once built (an encoder may keep its encoding by object); a reader that reuses buffers
 * builds new columns over them.
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

/** A list of Float64 per row, laid out as Float32ListColumn. */
export interface Float64ListColumn {
  readonly kind: 'float64-list';
  readonly offsets: Int32Array;
  readonly values: Float64Array;
}

/** A list of strings per row: row i is the strings values[offsets[i], offsets[i + 1]), kept as bytes. */
export interface StringListColumn {
  readonly kind: 'string-list';
  readonly offsets: Int32Array;
  readonly values: StringColumn;
}

export type ListColumn = Float32ListColumn | Float64ListColumn | StringListColumn;

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
export type ColumnValues = FixedWidthArray | StringColumn | ListColumn;

interface VariableWidthValues {
  String: StringColumn;
  'Array(Float32)': Float32ListColumn;
  'Array(Float64)': Float64ListColumn;
  'Array(String)': StringListColumn;
}

/** Values of one column type. */
export type ColumnValuesOf<T extends ColumnType> = T extends FixedWidthColumnType
  ? FixedWidthArrays[T]
  : VariableWidthValues[Exclude<T, FixedWidthColumnType>];

export type VariableWidthKind = VariableWidthValues[keyof VariableWidthValues]['kind'];

/** The `kind` a column of a variable-width type holds. */
export const KIND_OF_TYPE: Readonly<Record<keyof VariableWidthValues, VariableWidthKind>> = {
  String: 'string',
  'Array(Float32)': 'float32-list',
  'Array(Float64)': 'float64-list',
  'Array(String)': 'string-list',
};

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

/** A zeroed array of `rowCount` values of the type, for a reader to fill through `bytesOf`. */
export function fixedWidthArray<T extends FixedWidthColumnType>(type: T, rowCount: number): FixedWidthArrays[T] {
  return new FIXED_WIDTH_CONSTRUCTORS[type](rowCount) as FixedWidthArrays[T];
}

export function bytesOf(values: FixedWidthArray): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}
