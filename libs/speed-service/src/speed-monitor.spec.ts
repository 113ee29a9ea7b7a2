import { type TableParts } from '@platform/clickhouse-store';
import { type CommittedOffset, type EventStreamAdmin, EventStreamUnavailableError, type PartitionOffsets } from '@platform/event-stream';
import { Registry } from 'prom-client';
import { BrokerHealth } from './broker-health';
import { SpeedMetrics } from './speed-metrics';
import { SpeedMonitor } from './speed-monitor';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Admin clients answering from `broker`, which the test changes between readings. */
class FakeBroker {
  offsets: PartitionOffsets[] = [];
  committed: CommittedOffset[] = [];
  /** 'down' rejects every request, 'hanging' never answers. */
  state: 'up' | 'down' | 'hanging' = 'up';
  created = 0;
  disconnected = 0;
  lagReadings = 0;

  createAdmin = (): EventStreamAdmin => {
    this.created++;
    const answer = <T>(value: () => T): Promise<T> =>
      this.state === 'up'
        ? Promise.resolve(value())
        : this.state === 'down'
          ? Promise.reject(new EventStreamUnavailableError('Connection error: connect ECONNREFUSED', { operation: 'fetch topic offsets', topic: 'features' }))
          : new Promise<T>(() => undefined);
    return {
      connect: () => answer(() => undefined),
      disconnect: () => {
        this.disconnected++;
        return Promise.resolve();
      },
      createTopics: () => Promise.reject(new Error('not used')),
      deleteTopics: () => Promise.reject(new Error('not used')),
      fetchTopicOffsets: () => {
        this.lagReadings++;
        return answer(() => this.offsets);
      },
      fetchCommittedOffsets: () => answer(() => this.committed),
    };
  };
}

function setUp(parts: () => Promise<TableParts[]> = () => Promise.resolve([{ table: 'feature_events', activeParts: 5, maxPartsPerPartition: 3 }])) {
  const broker = new FakeBroker();
  const registry = new Registry();
  const health = new BrokerHealth();
  // Only the broker's side of health is the monitor's; the consumer's membership is BrokerHealth's own test.
  const brokerProblem = (): string | undefined => health.notReadyReason()?.split('; ').find((reason) => reason.startsWith('the broker'));
  const monitor = new SpeedMonitor(
    { createAdmin: broker.createAdmin, parts: { activeParts: parts }, metrics: new SpeedMetrics(registry), health, log: silent },
    { topic: 'features', groupId: 'speed', intervalMs: 20, timeoutMs: 100 },
  );
  const gauge = async (name: string): Promise<(string | number)[][]> =>
    ((await registry.getMetricsAsJSON()).find((metric) => metric.name === name)?.values ?? []).map(({ labels, value }) => [...Object.values(labels), value] as (string | number)[]);
  return { broker, brokerProblem, monitor, gauge };
}

describe('SpeedMonitor', () => {
  it('reads the lag per partition and the parts per table, and marks the broker as answering', async () => {
    const { broker, brokerProblem, monitor, gauge } = setUp();
    broker.offsets = [
      { partition: 0, earliest: '0', end: '100' },
      { partition: 1, earliest: '0', end: '40' },
    ];
    broker.committed = [
      { partition: 0, offset: '90' },
      { partition: 1, offset: null },
    ];
    await monitor.read();

    expect(await gauge('speed_consumer_lag')).toEqual([
      ['features', '0', 10],
      ['features', '1', 40],
    ]);
    expect(await gauge('clickhouse_active_parts')).toEqual([['feature_events', 5]]);
    expect(await gauge('clickhouse_max_parts_per_partition')).toEqual([['feature_events', 3]]);
    expect(brokerProblem()).toBeUndefined();
    await monitor.stop();
  });

  it('reports a broker that refuses or does not answer, replaces its client, and recovers', async () => {
    const { broker, brokerProblem, monitor } = setUp();
    await monitor.read();
    expect(brokerProblem()).toBeUndefined();

    broker.state = 'down';
    await monitor.read();
    expect(brokerProblem()).toMatch(/^the broker did not answer: fetch topic offsets failed .*ECONNREFUSED/);
    expect(broker.disconnected).toBe(1);

    broker.state = 'hanging';
    await monitor.read();
    expect(brokerProblem()).toBe('the broker did not answer: reading the lag of group speed on features: no answer within 100 ms');

    broker.state = 'up';
    await monitor.read();
    expect(brokerProblem()).toBeUndefined();
    // One client per failure, never reused after it.
    expect(broker.created).toBe(3);
    await monitor.stop();
  });

  it('keeps the broker answering when only ClickHouse fails', async () => {
    const { brokerProblem, monitor, gauge } = setUp(() => Promise.reject(new Error('ClickHouse unavailable')));
    await monitor.read();
    expect(brokerProblem()).toBeUndefined();
    expect(await gauge('clickhouse_active_parts')).toEqual([]);
    await monitor.stop();
  });

  it('reads right away and then every interval until stopped, on one client', async () => {
    const { broker, monitor } = setUp();
    monitor.start();
    await new Promise((resolve) => setImmediate(resolve));
    expect(broker.lagReadings).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await monitor.stop();
    const readings = broker.lagReadings;
    expect(readings).toBeGreaterThanOrEqual(3);
    expect(broker.created).toBe(1);
    expect(broker.disconnected).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(broker.lagReadings).toBe(readings);
  });
});
