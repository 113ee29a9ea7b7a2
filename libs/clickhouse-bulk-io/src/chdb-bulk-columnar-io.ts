import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertBatchMatches,
  type BulkColumnarIo,
  type BulkReadRequest,
  type BulkWriteRequest,
  type BulkWriteResult,
  type ColumnBatch,
  type ColumnSpec,
  rebatch,
} from '@platform/columnar';
import { classifyStoreError, type ClickHouseEngine, quoteString } from '@platform/clickhouse-store';
import { type Session } from 'chdb';
import { blockSizeSettings, columnList, columnStructure, selectColumns } from './column-list';
import { arrowIpcToBatches, batchToArrowFile } from './arrow/arrow-columns';

/**
 * Arrow settings: chDB's default lz4 Arrow cannot be decoded by the apache-arrow JS package, and
 * strings must come as Binary, not Utf8, to keep ids that are not valid UTF-8 exact.
 */
const ARROW_READ_SETTINGS =
  "output_format_arrow_compression_method = 'none', output_format_arrow_string_as_string = 0";

async function* arrowBatches(stream: AsyncIterable<{ raw(): Uint8Array }>, columns: readonly ColumnSpec[]): AsyncGenerator<ColumnBatch> {
  for await (const chunk of stream) yield* arrowIpcToBatches(chunk.raw(), columns);
}

/** Temporary Arrow files go to memory when the host has a tmpfs. */
const SCRATCH_DIR = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/**
 * Bulk I/O on chDB, bypassing its client connection (which buffers results and turns insert bodies
 * into UTF-8 text, corrupting binary data). Reads stream ArrowStream on the engine's streaming session; each
 * chunk is a complete Arrow stream. Writes serialize each batch as an Arrow file and insert it with
 * the file() table function: chDB's raw inserts take text formats only, and inline insert data is
 * cut at the first blank line, which binary payloads can contain.
 */
export class ChdbBulkColumnarIo implements BulkColumnarIo {
  private readonly session: Session;
  private readonly streams: StreamTurns;

  constructor(private readonly engine: ClickHouseEngine) {
    if (engine.chdbStreamingSession === undefined) throw new Error('ChdbBulkColumnarIo needs a chDB engine');
    this.session = engine.chdbStreamingSession;
    this.streams = streamTurnsOf(this.session);
  }

  async *read(request: BulkReadRequest): AsyncGenerator<ColumnBatch> {
    const release = await this.streams.take();
    const blockSize = blockSizeSettings(request.rowsPerBatch);
    const statement =
      `${selectColumns(request.query, request.columns)} SETTINGS ${ARROW_READ_SETTINGS}, ` +
      `max_block_size = ${blockSize.max_block_size}, preferred_block_size_bytes = ${blockSize.preferred_block_size_bytes}`;
    try {
      yield* rebatch(arrowBatches(this.session.queryStream(statement, { format: 'ArrowStream' }), request.columns), request.rowsPerBatch);
    } catch (error) {
      throw classifyStoreError(error, { operation: 'bulk read', engine: 'chdb' });
    } finally {
      release();
    }
  }

  async write(request: BulkWriteRequest): Promise<BulkWriteResult> {
    let rows = 0;
    const structure = quoteString(columnStructure(request.columns));
    for await (const batch of request.batches) {
      assertBatchMatches(request.columns, batch);
      if (batch.rowCount === 0) continue;
      const path = join(SCRATCH_DIR, `chdb-bulk-${process.pid}-${randomUUID()}.arrow`);
      await writeFile(path, batchToArrowFile(request.columns, batch));
      try {
        await this.engine.command(
          `INSERT INTO ${request.table} (${columnList(request.columns)}) ` +
            `SELECT ${columnList(request.columns)} FROM file(${quoteString(path)}, 'Arrow', ${structure})`,
          `bulk write into ${request.table}`,
        );
      } finally {
        await unlink(path);
      }
      rows += batch.rowCount;
    }
    return { rows };
  }
}

/** Reads on one session take turns: a FIFO of waiters, each released by the read before it. */
class StreamTurns {
  private last: Promise<void> = Promise.resolve();

  async take(): Promise<() => void> {
    let release!: () => void;
    const previous = this.last;
    this.last = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return release;
  }
}

/**
 * chDB allows one active stream per session, and every reader built on an engine (a batch run's
 * read, the query layer loading the run it just published) shares the engine's session: the turns
 * belong to the session, not to one reader.
 */
const turnsBySession = new WeakMap<Session, StreamTurns>();

function streamTurnsOf(session: Session): StreamTurns {
  let turns = turnsBySession.get(session);
  if (turns === undefined) turnsBySession.set(session, (turns = new StreamTurns()));
  return turns;
}
