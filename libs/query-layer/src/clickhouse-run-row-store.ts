import {
  type BulkColumnarIo,
  type ColumnSpec,
  float32ListAt,
  type Float32ListColumn,
  stringAt,
  type StringColumn,
  type StringListColumn,
  stringsAt,
} from '@platform/columnar';
import { chunkInList, type ClickHouseEngine, columnsOf, quoteEntityId, sql, trustedSql } from '@platform/clickhouse-store';
import { type BatchPrediction, type ServingPointer } from '@platform/domain';
import {
  compareRanked,
  type RankCursor,
  type RunRowStore,
  scoreOf,
  type ScoreBinning,
  type SegmentFilter,
  type StoredRunRow,
  type StoredScore,
} from '@platform/query-domain';

/** The columns of a run row as the query layer holds it (shared with the full-run read). */
export const RUN_ROW_COLUMNS = columnsOf('batch_predictions', ['entity_id', 'outputs', 'scored_at', 'segment_values']);

const SCORE_COLUMNS: readonly ColumnSpec[] = [
  { name: 'entity_id', type: 'String' },
  { name: 'score', type: 'Float64' },
];

const BIN_COLUMNS: readonly ColumnSpec[] = [
  { name: 'bin_key', type: 'Int64' },
  { name: 'rows', type: 'UInt64' },
];

/** The first output as Float64; none or NaN ranks last (-inf), as `scoreOf` does. Both engines run it. */
const SCORE = trustedSql('if(empty(outputs) OR isNaN(outputs[1]), -inf, toFloat64(outputs[1]))');

const ROWS_PER_BATCH = 65_536;

/**
 * The store behind a run over the memory budget (`StoreBackedModelState`), on either engine,
 * through the bulk columnar port (typed arrays: outputs arrive as the stored Float32 values, exactly
 * as a loaded run holds them). Id lists are quoted by the store's sql helpers and split by
 * `chunkInList`, so each statement stays under max_query_size (256 KiB on both engines) whatever
 * the ids hold.
 */
export class ClickHouseRunRowStore implements RunRowStore {
  constructor(
    private readonly engine: ClickHouseEngine,
    private readonly bulk: BulkColumnarIo,
  ) {}

  async readRows(run: ServingPointer, entityIds: readonly string[]): Promise<StoredRunRow[]> {
    const rows: StoredRunRow[] = [];
    const literals = entityIds.map((id) => trustedSql(quoteEntityId(id)));
    for (const chunk of chunkInList(literals)) {
      rows.push(
        ...(await this.readRunRows(run, sql`SELECT entity_id, outputs, scored_at, segment_values FROM ${this.engine.table('batch_predictions')}
                 WHERE model = ${run.model} AND run_id = ${run.runId} AND entity_id IN ${chunk}`)),
      );
    }
    return rows;
  }

  async readRanked(run: ServingPointer, limit: number, after: RankCursor | undefined, segment: SegmentFilter | undefined): Promise<BatchPrediction[]> {
    const afterCursor =
      after === undefined ? trustedSql('1') : trustedSql(sql`score < ${after.score} OR (score = ${after.score} AND entity_id > ${after.entityId})`);
    // Out of range, arr[i] is '' on both engines: the length check keeps rows without values out.
    const inSegment = (segment?.conditions ?? []).map(
      ({ position, value }) => sql` AND length(segment_values) > ${position} AND segment_values[${position + 1}] = ${value}`,
    );
    const rows = await this.readRunRows(
      run,
      sql`SELECT entity_id, outputs, scored_at, segment_values FROM (
            SELECT entity_id, outputs, scored_at, segment_values, ${SCORE} AS score FROM ${this.engine.table('batch_predictions')}
            WHERE model = ${run.model} AND run_id = ${run.runId}${trustedSql(inSegment.join(''))})
          WHERE ${afterCursor} ORDER BY score DESC, entity_id LIMIT ${limit}`,
    );
    // The bulk port reads the query as a subquery, which need not keep its order.
    return rows.sort((a, b) => compareRanked(scoreOf(a.outputs), a.entityId, scoreOf(b.outputs), b.entityId));
  }

  async readScoreExtremes(run: ServingPointer, count: number): Promise<{ lowest: StoredScore[]; highest: StoredScore[] }> {
    const extreme = async (direction: 'ASC' | 'DESC'): Promise<StoredScore[]> => {
      const scores = await this.readScores(
        sql`SELECT entity_id, score FROM (
              SELECT entity_id, ${SCORE} AS score FROM ${this.engine.table('batch_predictions')}
              WHERE model = ${run.model} AND run_id = ${run.runId})
            WHERE isFinite(score) ORDER BY score ${trustedSql(direction)}, entity_id LIMIT ${count}`,
      );
      const sign = direction === 'ASC' ? 1 : -1;
      return scores.sort((a, b) => sign * (a.score - b.score) || (a.entityId < b.entityId ? -1 : a.entityId > b.entityId ? 1 : 0));
    };
    return { lowest: await extreme('ASC'), highest: await extreme('DESC') };
  }

  async countScoresByBinKey(run: ServingPointer, binning: ScoreBinning): Promise<Map<number, number>> {
    // The same Float64 operations as ScoreBinning.keyOf, on literals that parse back to the same doubles.
    const key = binning.width === 0 ? trustedSql('0') : trustedSql(sql`floor((score - ${binning.low}) / ${binning.width})`);
    const counts = new Map<number, number>();
    const batches = this.bulk.read({
      query: sql`SELECT toInt64(${key}) AS bin_key, count() AS rows FROM (
                   SELECT ${SCORE} AS score FROM ${this.engine.table('batch_predictions')}
                   WHERE model = ${run.model} AND run_id = ${run.runId})
                 WHERE isFinite(score) GROUP BY bin_key`,
      columns: BIN_COLUMNS,
      rowsPerBatch: ROWS_PER_BATCH,
    });
    for await (const batch of batches) {
      const keys = batch.columns['bin_key'] as BigInt64Array;
      const rows = batch.columns['rows'] as BigUint64Array;
      for (let row = 0; row < batch.rowCount; row++) counts.set(Number(keys[row]), Number(rows[row]));
    }
    return counts;
  }

  private async readRunRows(run: ServingPointer, query: string): Promise<StoredRunRow[]> {
    const rows: StoredRunRow[] = [];
    for await (const batch of this.bulk.read({ query, columns: RUN_ROW_COLUMNS, rowsPerBatch: ROWS_PER_BATCH })) {
      const ids = batch.columns['entity_id'] as StringColumn;
      const outputs = batch.columns['outputs'] as Float32ListColumn;
      const scoredAt = batch.columns['scored_at'] as BigUint64Array;
      const segments = batch.columns['segment_values'] as StringListColumn;
      for (let row = 0; row < batch.rowCount; row++) {
        rows.push({
          model: run.model,
          runId: run.runId,
          entityId: stringAt(ids, row),
          outputs: Array.from(float32ListAt(outputs, row)),
          scoredAt: Number(scoredAt[row]),
          segmentValues: stringsAt(segments, row),
        });
      }
    }
    return rows;
  }

  private async readScores(query: string): Promise<StoredScore[]> {
    const scores: StoredScore[] = [];
    for await (const batch of this.bulk.read({ query, columns: SCORE_COLUMNS, rowsPerBatch: ROWS_PER_BATCH })) {
      const ids = batch.columns['entity_id'] as StringColumn;
      const values = batch.columns['score'] as Float64Array;
      for (let row = 0; row < batch.rowCount; row++) scores.push({ entityId: stringAt(ids, row), score: values[row]! });
    }
    return scores;
  }
}
