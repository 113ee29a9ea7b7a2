import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { sql } from '../sql/sql-literal';
import { toNumber, toNumbers } from './row-values';

/** A run's count and mean outputs for one segment (segment values in segment columns' order). */
export interface StoredSegmentAggregate {
  readonly segmentColumns: readonly string[];
  readonly segmentValues: readonly string[];
  readonly rowCount: number;
  readonly outputMeans: readonly number[];
}

interface SegmentAggregateRow {
  segment_columns: string[];
  segment_values: string[];
  row_count: string;
  output_means: (string | number)[];
}

/** Reads `segment_aggregates` (written by the batch layer with each run): cold start and slices. */
export class SegmentAggregateRepository {
  constructor(private readonly engine: ClickHouseEngine) {}

  async listByRun(model: string, runId: string): Promise<StoredSegmentAggregate[]> {
    const rows = await this.engine.queryRows<SegmentAggregateRow>(
      sql`SELECT segment_columns, segment_values, row_count, output_means FROM ${this.engine.table('segment_aggregates')}
          WHERE model = ${model} AND run_id = ${runId} ORDER BY segment_values`,
      `read segment aggregates of run ${runId} of model ${model}`,
    );
    return rows.map((row) => ({
      segmentColumns: row.segment_columns,
      segmentValues: row.segment_values,
      rowCount: toNumber(row.row_count),
      outputMeans: toNumbers(row.output_means),
    }));
  }
}
