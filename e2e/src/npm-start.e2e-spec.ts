import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REPO_ROOT, ServiceProcess } from './support/service-process';

/** `npm start` as a user runs it on a fresh clone: the embedded engine, nothing prepared. */
describe('npm start', () => {
  it('sets up the demo, publishes a first run, serves the admin API and stops cleanly on Ctrl-C', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
    const port = await freePort();
    // The embedded default: leave out the servers npm test exported.
    const { CLICKHOUSE_URL, KAFKA_BROKERS, ...inheritedEnv } = process.env;
    const platform = new ServiceProcess([join(REPO_ROOT, 'scripts', 'start.sh')], {
      ...inheritedEnv,
      CHDB_PATH: join(workDir, 'chdb'),
      MODEL_STORE_DIR: join(workDir, 'store'),
      RUN_LOCK_DIR: join(workDir, 'locks'),
      API_KEYS_FILE: join(workDir, 'api-keys.json'),
      BATCH_HTTP_PORT: String(port),
      DEMO_SOURCE_ROWS: '50000',
    });
    try {
      const published = await platform.waitForLog((line) => line.msg === 'run published', 240_000);
      expect(published).toMatchObject({ model: 'churn', rows: 50_000, passed: true });
      expect(platform.logs.find((line) => line.msg === 'demo model registered and promoted')).toMatchObject({ version: '1.0.0' });
      expect(platform.logs.find((line) => line.msg === 'run started')).toMatchObject({ runId: published['runId'], trigger: 'startup' });
      expect(platform.text).toMatch(/API docs http:\/\/127\.0\.0\.1:\d+\/docs/);

      const key = readFileSync(join(workDir, 'quickstart-admin.key'), 'utf8').trim();
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      expect((await fetch(`${base}/admin/models/churn/runs`)).status).toBe(401);
      const runs = (await (await fetch(`${base}/admin/models/churn/runs`, { headers: { 'x-api-key': key } })).json()) as { runId: string; status: string; rows: number }[];
      expect(runs).toEqual([expect.objectContaining({ runId: published['runId'], status: 'published', rows: 50_000 })]);
    } finally {
      // Ctrl-C: Nest's shutdown hooks close the engine and the process exits 0.
      expect(await platform.stop('SIGINT')).toBe(0);
    }
  }, 300_000);
});
