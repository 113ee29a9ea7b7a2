import { loadPlatformConfig, PlatformConfigError } from './platform-config';

describe('loadPlatformConfig', () => {
  it('defaults to embedded chDB, file locks and no Kafka', () => {
    const config = loadPlatformConfig({});
    expect(config.engine).toMatchObject({ kind: 'chdb', database: 'platform' });
    expect(config.kafka).toBeUndefined();
    expect(config.http).toEqual({ host: '127.0.0.1', batchPort: 8081 });
    expect(config.batchScheduler).toBe(true);
  });

  it('uses the server and Kafka when they are configured; empty variables count as unset', () => {
    const config = loadPlatformConfig({
      CLICKHOUSE_URL: 'http://127.0.0.1:18123',
      CLICKHOUSE_USER: '',
      KAFKA_BROKERS: '127.0.0.1:19092,kafka-2:9092',
      BATCH_HTTP_PORT: '9000',
      BATCH_SCHEDULER: 'off',
    });
    expect(config.engine).toEqual({ kind: 'server', url: 'http://127.0.0.1:18123', database: 'platform' });
    expect(config.kafka).toEqual({ brokers: ['127.0.0.1:19092', 'kafka-2:9092'], clientId: 'lambda-platform', sessionTimeoutMs: 30_000 });
    expect(config.http.batchPort).toBe(9000);
    expect(config.batchScheduler).toBe(false);
  });

  it('reads retention windows in days and output topics per model', () => {
    const config = loadPlatformConfig({ RETENTION_SPEED_ROWS_DAYS: '0.5', SPEED_OUTPUT_TOPICS: 'churn=predictions.churn,fraud=fraud-scores' });
    expect(config.retention.windows.speedRowsMs).toBe(43_200_000);
    expect(config.speed.outputTopics).toEqual(new Map([['churn', 'predictions.churn'], ['fraud', 'fraud-scores']]));
    expect(loadPlatformConfig({}).speed.outputTopics.size).toBe(0);
    expect(() => loadPlatformConfig({ SPEED_OUTPUT_TOPICS: 'churn' })).toThrow(/SPEED_OUTPUT_TOPICS="churn": comma-separated model=topic pairs/);
  });

  it('names every bad variable and its value', () => {
    const load = () => loadPlatformConfig({ CLICKHOUSE_URL: 'not a url', KAFKA_BROKERS: 'no-port', BATCH_HTTP_PORT: '70000' });
    expect(load).toThrow(PlatformConfigError);
    expect(load).toThrow(/CLICKHOUSE_URL="not a url".*KAFKA_BROKERS="no-port": comma-separated host:port list.*BATCH_HTTP_PORT="70000"/);
  });
});
