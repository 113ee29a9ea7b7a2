import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const COMPOSE_FILE = join(__dirname, '..', '..', 'docker-compose.yml');

interface ComposeService {
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
    expect(Object.keys(model.services).sort()).toEqual(['clickhouse', 'kafka']);
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
});
