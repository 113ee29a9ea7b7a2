import { endianness } from 'node:os';
import { Readable } from 'node:stream';
import {
  assertBatchMatches,
  type BulkColumnarIo,
  type BulkReadRequest,
  type BulkWriteRequest,
  type BulkWriteResult,
  type ColumnBatch,
  rebatch,
} from '@platform/columnar';
import { classifyStoreError, type ClickHouseEngine } from '@platform/clickhouse-store';
import { blockSizeSettings, columnList, selectColumns } from './column-list';
import { decodeNativeBlocks, encodeNativeBlock } from './native/native-format';

/**
 * Bulk I/O against a ClickHouse server: Native format both ways over HTTP as raw byte streams.
 * Reads decode block by block (the server's max_block_size bounds a block); writes stream one
 * block per batch in a single INSERT, so memory holds one batch at a time.
 */
export class ServerBulkColumnarIo implements BulkColumnarIo {
  constructor(private readonly engine: ClickHouseEngine) {
    if (engine.kind !== 'server') throw new Error('ServerBulkColumnarIo needs a server engine');
    // Native and typed arrays are both little-endian only on little-endian hosts.
    if (endianness() !== 'LE') throw new Error('bulk columnar I/O needs a little-endian host');
  }

  async *read(request: BulkReadRequest): AsyncGenerator<ColumnBatch> {
    const operation = 'bulk read';
    const result = await this.engine.client
      .exec({
        query: `${selectColumns(request.query, request.columns)} FORMAT Native`,
        clickhouse_settings: blockSizeSettings(request.rowsPerBatch),
      })
      .catch((error: unknown) => {
        throw classifyStoreError(error, { operation, engine: 'server' });
      });
    try {
      yield* rebatch(decodeNativeBlocks(result.stream, request.columns), request.rowsPerBatch);
    } catch (error) {
      throw classifyStoreError(error, { operation, engine: 'server' });
    } finally {
      result.stream.destroy();
    }
  }

  async write(request: BulkWriteRequest): Promise<BulkWriteResult> {
    let rows = 0;
    const { columns, batches } = request;
    async function* nativeBlocks(): AsyncGenerator<Buffer> {
      for await (const batch of batches) {
        assertBatchMatches(columns, batch);
        rows += batch.rowCount;
        for (const chunk of encodeNativeBlock(columns, batch)) {
          yield Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        }
      }
    }
    const operation = `bulk write into ${request.table}`;
    try {
      const result = await this.engine.client.exec({
        query: `INSERT INTO ${request.table} (${columnList(columns)}) FORMAT Native`,
        values: Readable.from(nativeBlocks(), { objectMode: false }),
      });
      result.stream.resume();
      await new Promise<void>((resolve, reject) => {
        result.stream.once('end', resolve).once('error', reject);
      });
    } catch (error) {
      throw classifyStoreError(error, { operation, engine: 'server' });
    }
    return { rows };
  }
}
