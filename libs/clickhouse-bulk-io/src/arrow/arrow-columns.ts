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
      return new List(new Field('item', new Float32(), false));
  }
}

/** Whether an Arrow type read from chDB carries the requested column type. */
function matches(type: ColumnType, arrow: DataType): boolean {
  if (type === 'String') return arrow.typeId === Type.Binary || arrow.typeId === Type.Utf8;
  if (type === 'Array(Float32)') {
    return arrow.typeId === Type.List && (arrow as List).children[0]?.type.typeId === Type.Float && matches('Float32', (arrow as List).children[0]!.type);
  }
  return arrow.toString() === arrowTypeOf(type).toString();
}

function rebase(offsets: Int32Array): Int32Array {
  const base = offsets[0]!;
  return base === 0 ? offsets : offsets.map((offset) => offset - base);
}

function valuesOf(spec: ColumnSpec, data: Data): ColumnValues {
  if (data.nullCount > 0) throw new ArrowColumnError(`column ${spec.name} holds nulls; non-Nullable types only`);
  const start = data.offset;
  const end = data.offset + data.length;
  if (isFixedWidthType(spec.type)) return (data.values as FixedWidthArray).subarray(start, end);
  const offsets = (data.valueOffsets as Int32Array).subarray(start, end + 1);
  if (spec.type === 'String') {
    return { kind: 'string', offsets: rebase(offsets), bytes: (data.values as Uint8Array).subarray(offsets[0], offsets[data.length]) };
  }
  const child = data.children[0]!;
  const values = (child.values as Float32Array).subarray(child.offset + offsets[0]!, child.offset + offsets[data.length]!);
  return { kind: 'float32-list', offsets: rebase(offsets), values };
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

function dataOf(spec: ColumnSpec, values: ColumnValues, length: number): Data {
  const type = arrowTypeOf(spec.type);
  if (!('kind' in values)) return makeData({ type, length, nullCount: 0, data: values } as never);
  if (values.kind === 'string') {
    return makeData({ type: type as Binary, length, nullCount: 0, valueOffsets: values.offsets, data: values.bytes });
  }
  const child = makeData({ type: new Float32(), length: values.values.length, nullCount: 0, data: values.values });
  return makeData({ type: type as List<Float32>, length, nullCount: 0, valueOffsets: values.offsets, child });
}

/** One batch as an Arrow IPC file, reusing the batch's buffers (no per-value re-encoding). */
export function batchToArrowFile(specs: readonly ColumnSpec[], batch: ColumnBatch): Uint8Array {
  const fields = specs.map((spec) => new Field(spec.name, arrowTypeOf(spec.type), false));
  const children = specs.map((spec) => dataOf(spec, batch.columns[spec.name]!, batch.rowCount));
  const struct = makeData({ type: new Struct(fields), length: batch.rowCount, nullCount: 0, children });
  return tableToIPC(new Table([new RecordBatch(new Schema(fields), struct)]), 'file');
}
