import { type ConsumedMessage } from '@platform/event-stream';
import { type IngestOutcome } from '@platform/speed-layer';
import { Registry } from 'prom-client';
import { SpeedMetrics } from './speed-metrics';

function message(offset: number, timestamp: number): ConsumedMessage {
  return { topic: 'features', partition: 0, offset: String(offset), key: null, value: Buffer.from('{}'), headers: {}, timestamp };
}

function outcome(overrides: Partial<IngestOutcome>): IngestOutcome {
  return { positions: [], appended: 0, scored: 0, late: 0, unscored: 0, duplicates: 0, deadLettered: {}, writtenAt: 0, ...overrides };
}

async function values(registry: Registry, name: string): Promise<{ labels: Record<string, string | number>; value: number; metricName?: string }[]> {
  const metric = (await registry.getMetricsAsJSON()).find((candidate) => candidate.name === name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return metric.values as { labels: Record<string, string | number>; value: number; metricName?: string }[];
}

describe('SpeedMetrics', () => {
  it('counts outcomes, dead letters and the batch size', async () => {
    const registry = new Registry();
    const metrics = new SpeedMetrics(registry);
    metrics.observe(outcome({ appended: 8, scored: 6, late: 2, duplicates: 1, deadLettered: { 'not-json': 2, 'unknown-model': 1 } }), []);

    const events = await values(registry, 'speed_events_total');
    expect(Object.fromEntries(events.map(({ labels, value }) => [labels['outcome'], value]))).toEqual({ appended: 8, scored: 6, late: 2, unscored: 0, duplicate: 1 });
    const letters = await values(registry, 'speed_dead_letters_total');
    expect(Object.fromEntries(letters.map(({ labels, value }) => [labels['reason'], value]))).toEqual({ 'not-json': 2, 'unknown-model': 1 });
    expect((await values(registry, 'speed_batch_messages')).find((v) => v.metricName === 'speed_batch_messages_sum')?.value).toBe(12);
  });

  it("observes each message's latency from its Kafka timestamp to the batch's writes, in seconds", async () => {
    const registry = new Registry();
    const metrics = new SpeedMetrics(registry);
    const writtenAt = 1_700_000_010_000;
    // 20 ms, 300 ms, 9 s; one stamped by a producer clock ahead of ours counts as 0.
    const batch = [message(0, writtenAt - 20), message(1, writtenAt - 300), message(2, writtenAt - 9_000), message(3, writtenAt + 50)];
    metrics.observe(outcome({ appended: 4, scored: 4, writtenAt }), batch);

    const latency = await values(registry, 'speed_event_written_latency_seconds');
    const bucket = (le: number): number | undefined => latency.find((v) => v.metricName?.endsWith('_bucket') && v.labels['le'] === le)?.value;
    expect(bucket(0.01)).toBe(1);
    expect(bucket(0.025)).toBe(2);
    expect(bucket(0.25)).toBe(2);
    expect(bucket(0.5)).toBe(3);
    expect(bucket(5)).toBe(3);
    expect(bucket(10)).toBe(4);
    expect(bucket(60)).toBe(4);
    expect(latency.find((v) => v.metricName?.endsWith('_count'))?.value).toBe(4);
    expect(latency.find((v) => v.metricName?.endsWith('_sum'))?.value).toBeCloseTo(9.32, 6);
  });

  it('sets the lag per topic and partition', async () => {
    const registry = new Registry();
    const metrics = new SpeedMetrics(registry);
    metrics.setLag('features', [
      { partition: 0, lag: 12 },
      { partition: 1, lag: 0 },
    ]);
    metrics.setLag('features', [
      { partition: 0, lag: 3 },
      { partition: 1, lag: 7 },
    ]);

    expect((await values(registry, 'speed_consumer_lag')).map(({ labels, value }) => [labels['topic'], labels['partition'], value])).toEqual([
      ['features', '0', 3],
      ['features', '1', 7],
    ]);
  });

  it('replaces the parts of every table, so a dropped table disappears', async () => {
    const registry = new Registry();
    const metrics = new SpeedMetrics(registry);
    metrics.setParts([
      { table: 'feature_events', activeParts: 40, maxPartsPerPartition: 25 },
      { table: 'probe', activeParts: 1, maxPartsPerPartition: 1 },
    ]);
    metrics.setParts([{ table: 'feature_events', activeParts: 12, maxPartsPerPartition: 9 }]);

    expect((await values(registry, 'clickhouse_active_parts')).map(({ labels, value }) => [labels['table'], value])).toEqual([['feature_events', 12]]);
    expect((await values(registry, 'clickhouse_max_parts_per_partition')).map(({ labels, value }) => [labels['table'], value])).toEqual([['feature_events', 9]]);
  });
});
