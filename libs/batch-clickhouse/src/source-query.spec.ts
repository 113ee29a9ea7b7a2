import { parseDeployments } from '@platform/batch-domain';
import { parseModelManifest } from '@platform/model-package';
import { maxEventTimeQuery, sourceCountQuery, sourceQuery } from './source-query';

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

describe('sourceQuery', () => {
  it('selects the id, one typed column per feature and the segments, reading the snapshot under the cut-off', () => {
    const query = sourceQuery(deployment!, manifest, 'platform', 1_700_000_000_000);
    expect(query.columns).toEqual([
      { name: '__entity_id', type: 'String' },
      { name: '__feature_tenure_months', type: 'Float64' },
      { name: '__feature_plan', type: 'Int32' },
      { name: '__segment_region', type: 'String' },
    ]);
    expect(query.sql).toContain("indexOf(['o\\'brien', 'pro'], `plan`)");
    expect(query.sql).toContain('FROM (SELECT * FROM `platform`.`churn_features` WHERE `updated_at` <= 1700000000000');
    expect(query.sql).toContain('LIMIT 1 BY `entity_id`');
  });

  it('counts and finds the watermark over the same source', () => {
    expect(sourceCountQuery(deployment!, 'platform', 5)).toMatch(/^SELECT count\(\) AS rows FROM \(SELECT \* FROM `platform`\.`churn_features` WHERE `updated_at` <= 5 /);
    expect(maxEventTimeQuery(deployment!, 'platform')).toBe('SELECT max(`updated_at`) AS max_event_time FROM `platform`.`churn_features`');
  });
});
