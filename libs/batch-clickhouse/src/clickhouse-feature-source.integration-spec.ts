import { parseDeployments, type SourceChunk } from '@platform/batch-domain';
import { FeatureEventRepository, sql } from '@platform/clickhouse-store';
import { type FeatureEvent } from '@platform/domain';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { stringAt } from '@platform/columnar';
import { CATEGORY_MISSING, CATEGORY_UNKNOWN, parseModelManifest } from '@platform/model-package';
import { ClickHouseFeatureSource } from './clickhouse-feature-source';

const MANIFEST = parseModelManifest(
  {
    manifestVersion: 1,
    name: 'churn',
    version: '1.0.0',
    format: 'layers-model',
    features: [
      { name: 'tenure_months', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ['basic', 'pro'] },
    ],
    outputs: [{ name: 'p', min: 0, max: 1 }],
  },
  'test',
);

async function chunksOf(source: AsyncIterable<SourceChunk>): Promise<SourceChunk[]> {
  const chunks: SourceChunk[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return chunks;
}

async function collect(source: AsyncIterable<SourceChunk>): Promise<Map<string, { tenure: number; plan: number; region: string }>> {
  const rows = new Map<string, { tenure: number; plan: number; region: string }>();
  for await (const chunk of source) {
    expect(chunk.rowCount).toBeLessThanOrEqual(2_048);
    for (let row = 0; row < chunk.rowCount; row++) {
      rows.set(stringAt(chunk.entityIds, row), {
        tenure: (chunk.features['tenure_months'] as Float64Array)[row]!,
        plan: (chunk.features['plan'] as Int32Array)[row]!,
        region: stringAt(chunk.segments['region']!, row),
      });
    }
  }
  return rows;
}

describe.each(ENGINE_KINDS)('ClickHouseFeatureSource on %s', (kind) => {
  const engine = useTestEngine(kind);

  beforeAll(async () => {
    const table = engine().table('customers');
    await engine().command(
      `CREATE TABLE ${table} (customer String, updated_at UInt64, tenure Float32, plan String, region String)
       ENGINE = ReplacingMergeTree(updated_at) ORDER BY customer`,
      'create customers',
    );
    const values = Array.from({ length: 5_000 }, (_, i) => sql`(${`c${i}`}, 1000, ${i % 10}, ${i % 3 === 0 ? 'pro' : 'basic'}, ${i % 2 ? 'north' : 'south'})`);
    await engine().command(`INSERT INTO ${table} VALUES ${values.join(', ')}`, 'insert customers');
    await engine().command(
      sql`INSERT INTO ${table} VALUES ('c1', 2000, nan, '', 'north'), ('c2', 2000, 42, 'gold', 'south'), ('c3', 9000, 99, 'pro', 'east'), ('c9999', 9000, 1, 'pro', 'east')`,
      'insert updates',
    );
    const event = (model: string, entityId: string, eventId: string, eventTime: number, numeric: Record<string, number>, categorical: Record<string, string> = {}): FeatureEvent => ({
      model,
      entityId,
      eventId,
      eventTime,
      numericFeatures: numeric,
      categoricalFeatures: categorical,
      source: { topic: 'feature-events', partition: 0, offset: '0' },
      ingestedAt: eventTime,
    });
    // The master dataset: events newer than an entity's base row supersede its features.
    await new FeatureEventRepository(engine()).append([
      event('churn', 'c4', 'c4-1', 2_500, { tenure_months: 77 }, { plan: 'pro' }),
      event('churn', 'c5', 'c5-1', 1_000, { tenure_months: 55 }), // same time as its base row: the event wins
      event('churn', 'c6', 'c6-1', 9_500, { tenure_months: 66 }), // after the fixed cut-off
      event('churn', 'new', 'new-1', 2_000, { tenure_months: 1 }), // an entity the base table lacks
      event('churn', 'c8', 'c8-a', 2_600, { tenure_months: 81 }),
      event('churn', 'c8', 'c8-b', 2_600, { tenure_months: 82 }), // a tie: the larger event id wins
      event('fraud', 'c7', 'c7-1', 2_500, { tenure_months: 70 }), // another model's event
    ]);
  });

  const deployment = (overrides: object) =>
    parseDeployments(
      [{ model: 'churn', source: { kind: 'snapshot', table: 'customers' }, entityKey: 'customer', columns: { tenure_months: 'tenure' }, segmentColumns: ['region'], chunkRows: 2_048, ...overrides }],
      'test',
    )[0]!;

  it('reads the latest row per entity under a fixed cut-off, categories as codes', async () => {
    const source = new ClickHouseFeatureSource(engine());
    const fixed = deployment({ dataCutoff: 3_000 });
    const snapshot = await source.snapshot(fixed, MANIFEST, Date.now());
    expect(snapshot).toEqual({ dataCutoff: 3_000, rowCount: 5_001, shardCount: 1, readPlan: 'merge-events' });
    const rows = await collect(source.read(fixed, MANIFEST, snapshot));
    expect(rows.size).toBe(5_001);
    const [chunk] = await chunksOf(source.read(fixed, MANIFEST, snapshot));
    expect(chunk!.features['tenure_months']).toBeInstanceOf(Float64Array); // events carry Float64
    expect(rows.get('c0')).toEqual({ tenure: 0, plan: 1, region: 'south' });
    expect(rows.get('c1')).toEqual({ tenure: NaN, plan: CATEGORY_MISSING, region: 'north' });
    expect(rows.get('c2')).toEqual({ tenure: 42, plan: CATEGORY_UNKNOWN, region: 'south' });
    expect(rows.get('c3')).toEqual({ tenure: 3, plan: 1, region: 'north' }); // its 9000 row is after the cut-off
    expect(rows.has('c9999')).toBe(false);
  });

  it("merges the model's feature events: the latest features win, segments stay the base row's", async () => {
    const source = new ClickHouseFeatureSource(engine());
    const fixed = deployment({ dataCutoff: 3_000 });
    const rows = await collect(source.read(fixed, MANIFEST, await source.snapshot(fixed, MANIFEST, Date.now())));
    expect(rows.get('c4')).toEqual({ tenure: 77, plan: 1, region: 'south' });
    expect(rows.get('c5')).toEqual({ tenure: 55, plan: CATEGORY_MISSING, region: 'north' });
    expect(rows.get('c6')).toEqual({ tenure: 6, plan: 1, region: 'south' });
    expect(rows.get('new')).toEqual({ tenure: 1, plan: CATEGORY_MISSING, region: '' });
    expect(rows.get('c8')).toEqual({ tenure: 82, plan: CATEGORY_MISSING, region: 'south' });
    expect(rows.get('c7')).toEqual({ tenure: 7, plan: 0, region: 'north' });
  });

  it('defaults the cut-off to the latest event time and applies the filter', async () => {
    const source = new ClickHouseFeatureSource(engine());
    const filtered = deployment({ filter: "region = 'east'" });
    const snapshot = await source.snapshot(filtered, MANIFEST, Date.now());
    // The latest event time is a feature event's.
    expect(snapshot).toEqual({ dataCutoff: 9_500, rowCount: 2, shardCount: 1, readPlan: 'merge-events' });
    expect([...(await collect(source.read(filtered, MANIFEST, snapshot))).keys()].sort()).toEqual(['c3', 'c9999']);
  });

  it('reads a snapshot larger than one shard in hash shards: every entity once, its latest row', async () => {
    const source = new ClickHouseFeatureSource(engine());
    const whole = deployment({ dataCutoff: 3_000 });
    const sharded = deployment({ dataCutoff: 3_000, snapshotShardRows: 1_500 });
    const snapshot = await source.snapshot(sharded, MANIFEST, Date.now());
    // 5,003 base rows (three entities were updated) and 5 events under the cut-off: four shards.
    expect(snapshot).toEqual({ dataCutoff: 3_000, rowCount: 5_001, shardCount: 4, readPlan: 'merge-events' });
    let rowsRead = 0;
    const counted = async function* (): AsyncGenerator<SourceChunk> {
      for await (const chunk of source.read(sharded, MANIFEST, snapshot)) {
        rowsRead += chunk.rowCount;
        yield chunk;
      }
    };
    const rows = await collect(counted());
    expect(rowsRead).toBe(5_001);
    expect(rows).toEqual(await collect(source.read(whole, MANIFEST, await source.snapshot(whole, MANIFEST, Date.now()))));
  });

  // A model no feature event names: its snapshot is its base rows alone.
  const withoutEvents = (dataCutoff: number) => deployment({ model: 'retention', dataCutoff, snapshotShardRows: 1_500 });

  it('reads the latest base rows with no join when no feature event lies under the cut-off', async () => {
    const source = new ClickHouseFeatureSource(engine());
    const snapshot = await source.snapshot(withoutEvents(3_000), MANIFEST, Date.now());
    // 5,002 base rows (c1 and c2 updated): a sort still picks each entity's latest, shard by shard.
    expect(snapshot).toEqual({ dataCutoff: 3_000, rowCount: 5_000, shardCount: 4, readPlan: 'latest-base-rows' });
    const rows = await collect(source.read(withoutEvents(3_000), MANIFEST, snapshot));
    expect(rows.size).toBe(5_000);
    expect(rows.get('c1')).toEqual({ tenure: NaN, plan: CATEGORY_MISSING, region: 'north' });
    expect(rows.get('c4')).toEqual({ tenure: 4, plan: 0, region: 'south' });
    expect(rows.has('new')).toBe(false);
  });

  it('reads base rows as they are, in one query, when every entity has one under the cut-off', async () => {
    const source = new ClickHouseFeatureSource(engine());
    const snapshot = await source.snapshot(withoutEvents(1_500), MANIFEST, Date.now());
    expect(snapshot).toEqual({ dataCutoff: 1_500, rowCount: 5_000, shardCount: 1, readPlan: 'base-rows' });
    const rows = await collect(source.read(withoutEvents(1_500), MANIFEST, snapshot));
    expect(rows.size).toBe(5_000);
    // tenure is Float32 in the table: read as such, with no event to merge.
    const [chunk] = await chunksOf(source.read(withoutEvents(1_500), MANIFEST, snapshot));
    expect(chunk!.features['tenure_months']).toBeInstanceOf(Float32Array);
    expect(rows.get('c1')).toEqual({ tenure: 1, plan: 0, region: 'north' });
    expect(rows.get('c3')).toEqual({ tenure: 3, plan: 1, region: 'north' });
  });
});
