import { parseDeployments } from '@platform/batch-domain';
import { parseModelManifest } from '@platform/model-package';
import { float32FeaturesOf, maxEventTimeQuery, readPlanOf, type SourceReading, sourceCountQuery, sourceQuery } from './source-query';

const manifest = parseModelManifest(
  {
    manifestVersion: 1,
    name: 'churn',
    version: '1.0.0',
    format: 'layers-model',
    features: [
      { name: 'tenure_months', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ["o'brien", 'pro'] },
    ],
    outputs: [{ name: 'p', min: 0, max: 1 }],
  },
  'test',
);

const [deployment] = parseDeployments(
  [{ model: 'churn', source: { kind: 'snapshot', table: 'churn_features' }, segmentColumns: ['region'], dataCutoff: 'now' }],
  'test',
);

const mergeEvents = (dataCutoff: number): SourceReading => ({ dataCutoff, readPlan: 'merge-events', shard: { index: 0, count: 1 }, float32Features: new Set() });

describe('sourceQuery', () => {
  it('selects the id, one typed column per feature and the segments, reading the snapshot under the cut-off', () => {
    const query = sourceQuery(deployment!, manifest, 'platform', mergeEvents(1_700_000_000_000));
    expect(query.columns).toEqual([
      { name: '__entity_id', type: 'String' },
      { name: '__feature_tenure_months', type: 'Float64' },
      { name: '__feature_plan', type: 'Int32' },
      { name: '__segment_region', type: 'String' },
    ]);
    expect(query.sql).toContain("indexOf(['o\\'brien', 'pro'], `plan`)");
    expect(query.sql).toContain('FROM `platform`.`churn_features` WHERE `updated_at` <= 1700000000000');
    expect(query.sql).toContain("FROM `platform`.`feature_events` WHERE model = 'churn' AND event_time <= 1700000000000");
    expect(query.sql).toContain('ORDER BY `entity_id`, `updated_at` DESC LIMIT 1 BY `entity_id`');
    expect(query.sql).toContain('ORDER BY entity_id, event_time DESC, event_id DESC LIMIT 1 BY entity_id');
  });

  it('takes features from base rows and events, a segment that is no feature from base rows only', () => {
    const { sql } = sourceQuery(deployment!, manifest, 'platform', mergeEvents(5));
    expect(sql).toContain("if(has(numeric_names, 'tenure_months'), numeric_values[indexOf(numeric_names, 'tenure_months')], nan)");
    expect(sql).toContain("if(has(categorical_names, 'plan'), categorical_values[indexOf(categorical_names, 'plan')], '')");
    expect(sql).toContain("if(__snapshot_base_present = 1, toString(ifNull(`region`, '')), '') AS __snapshot_column_2");
    expect(sql).toContain('ALL FULL JOIN');
    expect(sql).toContain('__snapshot_column_2 AS `region`');
  });

  it('counts and finds the watermark over the same source, feature events included', () => {
    expect(sourceCountQuery(deployment!, manifest, 'platform', 5)).toBe(
      'SELECT uniqExact(__snapshot_key) AS rows, countIf(__snapshot_side = 0) AS base_rows, countIf(__snapshot_side = 1) AS event_rows' +
        ' FROM (SELECT toString(`entity_id`) AS __snapshot_key, toUInt8(0) AS __snapshot_side FROM `platform`.`churn_features` WHERE `updated_at` <= 5' +
        " UNION ALL SELECT entity_id, toUInt8(1) FROM `platform`.`feature_events` WHERE model = 'churn' AND event_time <= 5)",
    );
    const filtered = { ...deployment!, filter: "region = 'north'" };
    expect(sourceCountQuery(filtered, manifest, 'platform', 5)).toMatch(/^SELECT count\(\) AS rows FROM \(SELECT \* FROM \(SELECT __snapshot_key AS `entity_id`/);
    expect(maxEventTimeQuery(deployment!, 'platform')).toBe(
      "SELECT greatest((SELECT toUInt64(max(`updated_at`)) FROM `platform`.`churn_features`), (SELECT max(event_time) FROM `platform`.`feature_events` WHERE model = 'churn')) AS max_event_time",
    );
  });

  it('reads a snapshot without feature events with no join, and unique base rows with no sort either', () => {
    const reading = (readPlan: SourceReading['readPlan']): SourceReading => ({ dataCutoff: 5, readPlan, shard: { index: 1, count: 4 }, float32Features: new Set() });
    const latest = sourceQuery(deployment!, manifest, 'platform', reading('latest-base-rows')).sql;
    expect(latest).toContain('ORDER BY `entity_id`, `updated_at` DESC LIMIT 1 BY `entity_id`');
    expect(latest).toContain('cityHash64(toString(`entity_id`)) % 4 = 1');
    expect(latest).not.toContain('JOIN');
    expect(latest).not.toContain('feature_events');
    const plain = sourceQuery(deployment!, manifest, 'platform', reading('base-rows')).sql;
    expect(plain).not.toMatch(/JOIN|ORDER BY|feature_events/);
    // The same column values as the merged snapshot's: never Nullable, missing numbers as NaN.
    for (const sql of [latest, plain]) {
      expect(sql).toContain("toFloat64(ifNull(`tenure_months`, nan)) AS __snapshot_column_0");
      expect(sql).toContain("toString(ifNull(`region`, '')) AS __snapshot_column_2");
    }
  });
});

describe('float32FeaturesOf', () => {
  const types = new Map([
    ['tenure_months', 'Nullable(Float32)'],
    ['plan', 'String'],
  ]);

  it('narrows numeric features whose source column a Float32 holds exactly, when no event is merged', () => {
    expect([...float32FeaturesOf(deployment!, manifest, 'base-rows', types)]).toEqual(['tenure_months']);
    expect([...float32FeaturesOf(deployment!, manifest, 'latest-base-rows', new Map([['tenure_months', 'UInt16']]))]).toEqual(['tenure_months']);
    expect(float32FeaturesOf(deployment!, manifest, 'base-rows', new Map([['tenure_months', 'Float64']])).size).toBe(0);
    expect(float32FeaturesOf(deployment!, manifest, 'base-rows', new Map([['tenure_months', 'Int32']])).size).toBe(0);
    expect(float32FeaturesOf(deployment!, manifest, 'merge-events', types).size).toBe(0);
  });

  it('reads a narrowed feature as Float32 in the engine', () => {
    const query = sourceQuery(deployment!, manifest, 'platform', { dataCutoff: 5, readPlan: 'base-rows', shard: { index: 0, count: 1 }, float32Features: new Set(['tenure_months']) });
    expect(query.columns[1]).toEqual({ name: '__feature_tenure_months', type: 'Float32' });
    expect(query.sql).toContain('toFloat32(ifNull(`tenure_months`, nan)) AS __snapshot_column_0');
    expect(query.sql).toContain('toFloat32(`tenure_months`) AS `__feature_tenure_months`');
  });
});

describe('readPlanOf', () => {
  it('merges events when there are any or when the count could not tell', () => {
    expect(readPlanOf(deployment!, { rows: 10, baseRows: 10, eventRows: 1 })).toBe('merge-events');
    expect(readPlanOf(deployment!, { rows: 10 })).toBe('merge-events');
  });

  it('skips the join without events, and the sort when every entity has one base row', () => {
    expect(readPlanOf(deployment!, { rows: 10, baseRows: 12, eventRows: 0 })).toBe('latest-base-rows');
    expect(readPlanOf(deployment!, { rows: 10, baseRows: 10, eventRows: 0 })).toBe('base-rows');
  });

  it('reads table sources as they are', () => {
    const table = { ...deployment!, source: { kind: 'table' as const, table: 'churn_scores_input' } };
    expect(readPlanOf(table, { rows: 3 })).toBe('base-rows');
  });
});
