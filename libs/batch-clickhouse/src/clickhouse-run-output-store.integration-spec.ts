import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { stringColumn } from '@platform/columnar';
import { ClickHouseRunOutputStore } from './clickhouse-run-output-store';

const NON_UTF8_ID = Uint8Array.from([0xff, 0x27, 0x5c, 0x00]);

describe.each(ENGINE_KINDS)('ClickHouseRunOutputStore on %s', (kind) => {
  const engine = useTestEngine(kind);

  it('writes a run whole and drops it whole', async () => {
    const store = new ClickHouseRunOutputStore(engine());
    const ids = ['a', "o'brien", 'ünï'];
    await store.writePredictions('churn', 'run-1', { rowCount: 3, entityIds: stringColumn(ids), outputs: Float32Array.of(0.25, 1, 0.5, 0, 0.75, 0.125), outputCount: 2,
      segmentValues: [stringColumn(['north', 'south', '']), stringColumn(['basic', 'pro', 'basic'])] }, 1_000);
    await store.writePredictions('churn', 'run-2', { rowCount: 1, entityIds: stringColumn(['z']), outputs: Float32Array.of(0.5, 0.5), outputCount: 2, segmentValues: [] }, 2_000);
    await store.writeRejects('churn', 'run-1', [
      { entityId: NON_UTF8_ID, reason: 'missing', feature: 'tenure_months' },
      { entityId: new TextEncoder().encode('b'), reason: 'id-too-long', feature: '' },
    ]);
    await store.writeSegmentAggregates('churn', 'run-1', ['region'], [
      { segmentValues: ['north'], rowCount: 2, outputMeans: [0.5, 0.25] },
      { segmentValues: ['south'], rowCount: 1, outputMeans: [0.75, 0.125] },
    ]);

    const rows = await engine().queryRows<{ entity_id: string; outputs: number[]; segment_values: string[] }>(
      `SELECT entity_id, outputs, segment_values FROM ${engine().table('batch_predictions')} WHERE run_id = 'run-1' ORDER BY entity_id`,
      'read run',
    );
    expect(rows).toEqual([
      { entity_id: 'a', outputs: [0.25, 1], segment_values: ['north', 'basic'] },
      { entity_id: "o'brien", outputs: [0.5, 0], segment_values: ['south', 'pro'] },
      { entity_id: 'ünï', outputs: [0.75, 0.125], segment_values: ['', 'basic'] },
    ]);
    const rejects = await engine().queryRows<{ id_hex: string; reason: string }>(
      `SELECT hex(entity_id) AS id_hex, reason FROM ${engine().table('batch_rejects')} WHERE run_id = 'run-1' ORDER BY reason`,
      'read rejects',
    );
    expect(rejects).toEqual([
      { id_hex: '62', reason: 'id-too-long' },
      { id_hex: 'FF275C00', reason: 'missing' },
    ]);
    expect(await store.countPredictions('run-1')).toBe(3);
    expect(await store.storedRuns()).toEqual(['run-1', 'run-2']);

    await store.dropRun('run-1');
    expect(await store.storedRuns()).toEqual(['run-2']);
    const [left] = await engine().queryRows<{ rejects: string; aggregates: string }>(
      `SELECT (SELECT count() FROM ${engine().table('batch_rejects')}) AS rejects, (SELECT count() FROM ${engine().table('segment_aggregates')}) AS aggregates`,
      'count leftovers',
    );
    expect(left).toEqual({ rejects: '0', aggregates: '0' });
  });
});
