import { sql, trustedSql } from '@platform/clickhouse-store';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { CHURN_FEATURES } from './churn-features';
import { writeChurnDemoSource } from './churn-demo-source';
import { generateChurnChunk } from './churn-generator';

interface SourceRow {
  entity_id: string;
  region: string;
  tenure_months: number | string;
  nps_score: number | string;
}

describe.each(ENGINE_KINDS)('churn demo source on %s', (kind) => {
  const engine = useTestEngine(kind, { migrate: false });

  it('writes the generated customers, categories as text and missing values kept', async () => {
    const table = engine().table('churn_features').text;
    const progress: number[] = [];
    const rows = await writeChurnDemoSource(engine(), { table, rows: 150_000, seed: 5, updatedAt: 1_000, chunkRows: 65_536, onProgress: (n) => progress.push(n) });
    expect(rows).toBe(150_000);
    expect(progress).toEqual([65_536, 131_072, 150_000]);

    const expected = generateChurnChunk(5, 100, 3);
    const stored = await engine().queryRows<SourceRow>(
      sql`SELECT entity_id, region, tenure_months, nps_score FROM ${trustedSql(table)}
          WHERE entity_id IN ${[...expected.entityIds]} ORDER BY entity_id`,
      'read demo rows',
    );
    const regions = CHURN_FEATURES.find((f) => f.name === 'region')!.categories as readonly string[];
    expect(stored).toEqual(
      expected.entityIds.map((id, row) => ({
        entity_id: id,
        region: regions[expected.features.region[row]!] ?? '',
        tenure_months: Number.isNaN(expected.features.tenure_months[row]!) ? 'nan' : expected.features.tenure_months[row],
        nps_score: Number.isNaN(expected.features.nps_score[row]!) ? 'nan' : expected.features.nps_score[row],
      })),
    );
    const [counts] = await engine().queryRows<{ rows: string; missing_nps: string }>(
      `SELECT count() AS rows, countIf(isNaN(nps_score)) AS missing_nps FROM ${table}`,
      'count demo rows',
    );
    expect(Number(counts!.rows)).toBe(150_000);
    expect(Number(counts!.missing_nps) / 150_000).toBeGreaterThan(0.3);
  });
});
