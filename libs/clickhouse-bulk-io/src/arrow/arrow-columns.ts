import {
  Binary,
  type Data,
  type DataType,
  Field,
  Float32,
  Float64,
  Int32,
  Int64,
  List,
  makeData,
  RecordBatch,
  RecordBatchReader,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Type,
  Uint32,
  Uint64,
  Uint8,
} from 'apache-arrow';
import {
  type ColumnBatch,
  type ColumnSpec,
  type ColumnType,
  type ColumnValues,
  type FixedWidthArray,
  isFixedWidthType,
  type ListColumn,
  type ListColumnType,
  type StringColumn,
} from '@platform/columnar';

export class ArrowColumnError extends Error {
  override readonly name = 'ArrowColumnError';
}

function arrowTypeOf(type: ColumnType): DataType {
  switch (type) {
    case 'Float32':
      return new Float32();
    case 'Float64':
      return new Float64();
    case 'UInt8':
      return new Uint8();
    case 'UInt32':
      return new Uint32();
    case 'Int32':
      return new Int32();
    case 'UInt64':
      return new Uint64();
    case 'Int64':
      return new Int64();
    case 'String':
      return new Binary();
    case 'Array(Float32)':
    case 'Array(Float64)':
    case 'Array(String)':
      return new List(new Field('item', arrowTypeOf(ELEMENT_TYPE[type]), false));
  }
}

const ELEMENT_TYPE = {
  'Array(Float32)': 'Float32',
  'Array(Float64)': 'Float64',
  'Array(String)': 'String',
} as const satisfies Record<ListColumnType, ColumnType>;

function isListType(type: ColumnType): type is ListColumnType {
  return type in ELEMENT_TYPE;
}

/** Whether an Arrow type read from chDB carries the requested column type. */
function matches(type: ColumnType, arrow: DataType): boolean {
  if (type === 'String') return arrow.typeId === Type.Binary || arrow.typeId === Type.Utf8;
  if (isListType(type)) {
    const element = (arrow as List).children[0];
    return arrow.typeId === Type.List && element !== undefined && matches(ELEMENT_TYPE[type], element.type);
  }
  return arrow.toString() === arrowTypeOf(type).toString();
}

function rebase(offsets: Int32Array): Int32Array {
  const base = offsets[0]!;
  return base === 0 ? offsets : offsets.map((offset) => offset - base);
}

/** Values [start, end) of a Binary/Utf8 Arrow array, whatever its own offset. */
function stringValues(data: Data, start: number, end: number): StringColumn {
  const offsets = (data.valueOffsets as Int32Array).subarray(data.offset + start, data.offset + end + 1);
  return { kind: 'string', offsets: rebase(offsets), bytes: (data.values as Uint8Array).subarray(offsets[0], offsets[end - start]) };
}

function listValues(type: ListColumnType, data: Data): ListColumn {
  const offsets = (data.valueOffsets as Int32Array).subarray(data.offset, data.offset + data.length + 1);
  const child = data.children[0]!;
  if (child.nullCount > 0) throw new ArrowColumnError(`a ${type} column holds null elements; non-Nullable types only`);
  const first = offsets[0]!;
  const end = offsets[data.length]!;
  switch (type) {
    case 'Array(Float32)':
      return { kind: 'float32-list', offsets: rebase(offsets), values: (child.values as Float32Array).subarray(child.offset + first, child.offset + end) };
    case 'Array(Float64)':
      return { kind: 'float64-list', offsets: rebase(offsets), values: (child.values as Float64Array).subarray(child.offset + first, child.offset + end) };
    case 'Array(String)':
      return { kind: 'string-list', offsets: rebase(offsets), values: stringValues(child, first, end) };
  }
}

function valuesOf(spec: ColumnSpec, data: Data): ColumnValues {
  if (data.nullCount > 0) throw new ArrowColumnError(`column ${spec.name} holds nulls; non-Nullable types only`);
  if (isFixedWidthType(spec.type)) return (data.values as FixedWidthArray).subarray(data.offset, data.offset + data.length);
  if (spec.type === 'String') return stringValues(data, 0, data.length);
  return listValues(spec.type, data);
}

/** Decodes an Arrow IPC stream into batches, checking names and types against the specs. */
export function* arrowIpcToBatches(ipc: Uint8Array, specs: readonly ColumnSpec[]): Generator<ColumnBatch> {
  for (const recordBatch of RecordBatchReader.from(ipc)) {
    const fields = recordBatch.schema.fields;
    if (fields.length !== specs.length) {
      throw new ArrowColumnError(`Arrow batch has ${fields.length} columns, expected ${specs.length}`);
    }
    specs.forEach((spec, index) => {
      const field = fields[index]!;
      if (field.name !== spec.name || !matches(spec.type, field.type)) {
        throw new ArrowColumnError(
          `column ${field.name} of Arrow type ${field.type.toString()} arrived where ${spec.name} of type ${spec.type} was expected`,
        );
      }
    });
    // An empty batch (an empty result) may come without child data for list columns.
    if (recordBatch.numRows === 0) continue;
    const columns: Record<string, ColumnValues> = {};
    specs.forEach((spec, index) => (columns[spec.name] = valuesOf(spec, recordBatch.data.children[index]!)));
    yield { rowCount: recordBatch.numRows, columns };
  }
}

function stringData(values: StringColumn, length: number): Data<Binary> {
  return makeData({ type: new Binary(), length, nullCount: 0, valueOffsets: values.offsets, data: values.bytes });
}

function listElementData(values: ListColumn): Data {
  const length = values.offsets[values.offsets.length - 1]! - values.offsets[0]!;
  switch (values.kind) {
    case 'float32-list':
      return makeData({ type: new Float32(), length, nullCount: 0, data: values.values });
    case 'float64-list':
      return makeData({ type: new Float64(), length, nullCount: 0, data: values.values });
    case 'string-list':
      return stringData(values.values, length);
  }
}

function dataOf(spec: ColumnSpec, values: ColumnValues, length: number): Data {
  const type = arrowTypeOf(spec.type);
  if (!('kind' in values)) return makeData({ type, length, nullCount: 0, data: values } as never);
  if (values.kind === 'string') return stringData(values, length);
  return makeData({ type: type as List, length, nullCount: 0, valueOffsets: values.offsets, child: listElementData(values) });
}

/** One batch as an Arrow IPC file, reusing the batch's buffers (no per-value re-encoding). */
export function batchToArrowFile(specs: readonly ColumnSpec[], batch: ColumnBatch): Uint8Array {
  const fields = specs.map((spec) => new Field(spec.name, arrowTypeOf(spec.type), false));
  const children = specs.map((spec) => dataOf(spec, batch.columns[spec.name]!, batch.rowCount));
  const struct = makeData({ type: new Struct(fields), length: batch.rowCount, nullCount: 0, children });
  return tableToIPC(new Table([new RecordBatch(new Schema(fields), struct)]), 'file');
}
