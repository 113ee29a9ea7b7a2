import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { demoFeatures } from './support/demo-manifest';
import { startEmbeddedPlatform } from './support/embedded-platform';
import { freePort } from './support/service-process';

/** `npm start` as a user runs it on a fresh clone: the embedded engine, nothing prepared. */
describe('npm start', () => {
  it('sets up the demo, publishes a first run, serves the admin API, takes events over HTTP into merged answers, and stops cleanly on Ctrl-C', async () => {
    const workDir = mkdtempSync(join(tmpdir(), 'npm-start-'));
    const port = await freePort();
    const platform = startEmbeddedPlatform(workDir, port, { DEMO_SOURCE_ROWS: '50000' });
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

      // No Kafka here: events come in over HTTP and are written before the answer. The speed layer
      // takes a model's events once it has followed its first published run (within a second).
      await platform.waitForLog((line) => line.msg === 'serving version changed', 10_000);
      const features = demoFeatures(join(workDir, 'store'));
      const events = [
        { schema: 'feature-event/v1', eventId: 'npm-start-1', entityId: 'walk-in-customer', eventTime: Date.now(), model: 'churn', features },
        { schema: 'feature-event/v1', eventId: 'npm-start-2', entityId: 'walk-in-customer', eventTime: Date.now(), model: 'fraud', features },
      ];
      const submit = (headers: Record<string, string>) => fetch(`${base}/feature-events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ events }) });
      expect((await submit({})).status).toBe(401);
      const submitted = await submit({ 'x-api-key': key });
      expect(submitted.status).toBe(200);
      expect(await submitted.json()).toEqual({ accepted: 1, rejected: [{ index: 1, reason: 'unknown-model', detail: expect.stringContaining('fraud') as string }], written: true });

      // The query layer serves it from its tail within a second or so.
      const answer = async () => (await (await fetch(`${base}/models/churn/predictions/walk-in-customer`, { headers: { 'x-api-key': key } })).json()) as { source: string; eventId: string | null; runId: string };
      const deadline = Date.now() + 10_000;
      while ((await answer()).source !== 'speed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await answer()).toMatchObject({ source: 'speed', eventId: 'npm-start-1', runId: published['runId'] });
    } finally {
      // Ctrl-C: Nest's shutdown hooks close the engine and the process exits 0.
      expect(await platform.stop('SIGINT')).toBe(0);
    }
  }, 300_000);
});
