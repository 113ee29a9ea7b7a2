import { type BulkColumnarIo } from '@platform/columnar';
import { type ClickHouseEngine } from '@platform/clickhouse-store';
import { ChdbBulkColumnarIo } from './chdb-bulk-columnar-io';
import { ServerBulkColumnarIo } from './server-bulk-columnar-io';

/** The bulk adapter for an engine: a new engine kind is a new adapter here, not an `if` elsewhere. */
export function bulkColumnarIoFor(engine: ClickHouseEngine): BulkColumnarIo {
  return engine.kind === 'server' ? new ServerBulkColumnarIo(engine) : new ChdbBulkColumnarIo(engine);
}
