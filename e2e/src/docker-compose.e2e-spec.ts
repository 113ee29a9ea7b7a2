import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { configurationKeys, loadPlatformConfig, PLATFORM_CONFIG_KEYS } from '@platform/platform-config';

const run = promisify(execFile);
const COMPOSE_FILE = join(__dirname, '..', '..', 'docker-compose.yml');

interface ComposeService {
  build?: unknown;
  profiles?: string[];
  environment?: Record<string, string | null>;
  healthcheck?: { test?: unknown };
  volumes?: { type: string; source?: string }[];
}

interface ComposeModel {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** Nothing here runs containers; `docker compose config` validates and resolves the file without an engine. */
describe('docker-compose.yml', () => {
  it('is valid for docker compose', async () => {
    await expect(run('docker', ['compose', '-f', COMPOSE_FILE, 'config', '-q'])).resolves.toBeDefined();
  });

  it('gives every service a healthcheck and keeps its data in named volumes', async () => {
    const { stdout } = await run('docker', ['compose', '-f', COMPOSE_FILE, 'config', '--format', 'json']);
    const model = JSON.parse(stdout) as ComposeModel;
    expect(Object.keys(model.services).sort()).toEqual(['batch-layer', 'clickhouse', 'kafka', 'query-layer', 'speed-layer']);
    for (const [name, service] of Object.entries(model.services)) {
      expect({ name, healthcheck: Array.isArray(service.healthcheck?.test) }).toEqual({ name, healthcheck: true });
      const volumes = service.volumes ?? [];
      expect(volumes.length).toBeGreaterThan(0);
      for (const volume of volumes) {
        expect({ name, type: volume.type, declared: volume.source !== undefined && volume.source in (model.volumes ?? {}) }).toEqual({
          name,
          type: 'volume',
          declared: true,
        });
      }
    }
  });

  it('sets only known config keys on our services, valid values, and every key without a default that a layer needs', async () => {
    const { stdout } = await run('docker', ['compose', '-f', COMPOSE_FILE, '--profile', 'producer', 'config', '--format', 'json']);
    const model = JSON.parse(stdout) as ComposeModel;
    const ours = Object.entries(model.services).filter(([, service]) => service.build !== undefined);
    expect(ours.map(([name]) => name).sort()).toEqual(['batch-layer', 'producer', 'query-layer', 'speed-layer']);
    const known = new Set<string>(PLATFORM_CONFIG_KEYS);
    // Optional per deployment: a model's predictions published to a topic.
    const optional = new Set(['SPEED_OUTPUT_TOPICS']);
    const needed = configurationKeys()
      .filter(({ defaultValue, name }) => defaultValue === undefined && !optional.has(name))
      .map(({ name }) => name);
    expect(needed.sort()).toEqual(['CLICKHOUSE_PASSWORD', 'CLICKHOUSE_URL', 'CLICKHOUSE_USER', 'KAFKA_BROKERS']);
    for (const [name, service] of ours) {
      const environment = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, value ?? '']));
      expect({ name, unknown: Object.keys(environment).filter((key) => !known.has(key)) }).toEqual({ name, unknown: [] });
      expect(() => loadPlatformConfig(environment)).not.toThrow();
      const required = name === 'producer' ? ['KAFKA_BROKERS'] : needed;
      expect({ name, missing: required.filter((key) => (environment[key] ?? '') === '') }).toEqual({ name, missing: [] });
    }
    // Each layer's healthcheck asks its own port for readiness.
    for (const [name, portKey] of [['batch-layer', 'BATCH_HTTP_PORT'], ['speed-layer', 'SPEED_HTTP_PORT'], ['query-layer', 'QUERY_HTTP_PORT']] as const) {
      const service = model.services[name];
      const port = service?.environment?.[portKey];
      expect({ name, test: JSON.stringify(service?.healthcheck?.test).includes(`127.0.0.1:${port}/health/ready`) }).toEqual({ name, test: true });
    }
  });
});
