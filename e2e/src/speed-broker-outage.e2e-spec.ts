import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DedicatedKafka } from './support/dedicated-kafka';
import { freePort, REPO_ROOT, ServiceProcess } from './support/service-process';

interface Readiness {
  status: number;
  body: { status?: string; error?: Record<string, Record<string, unknown>> };
}

/**
 * The speed layer's readiness follows its broker: a broker of the test's own is stopped while the
 * service runs (readiness turns false, naming the broker), then started again (readiness recovers
 * by itself, and SIGTERM still exits cleanly). Needs CLICKHOUSE_URL.
 */
describe('speed layer readiness through a broker outage', () => {
  const tag = Date.now().toString(36);
  let kafka: DedicatedKafka | undefined;

  afterAll(async () => {
    await kafka?.remove();
  });

  it('reports the broker down with a reason while it is stopped and ready again once it is back', async () => {
    kafka = await DedicatedKafka.start();
    const workDir = mkdtempSync(join(tmpdir(), 'speed-outage-'));
    const port = await freePort();
    const speed = new ServiceProcess([join(REPO_ROOT, 'scripts', 'run-ts.sh'), 'apps/speed-layer/src/main.ts'], {
      ...process.env,
      KAFKA_BROKERS: kafka.brokers,
      CLICKHOUSE_DATABASE: `e2e_speed_outage_${tag}`,
      MODEL_STORE_DIR: join(workDir, 'store'),
      RUN_LOCK_DIR: join(workDir, 'locks'),
      FEATURE_EVENTS_TOPIC: `e2e.outage.${tag}`,
      DEAD_LETTER_TOPIC: `e2e.outage.${tag}.dlq`,
      SPEED_GROUP_ID: `e2e-outage-${tag}`,
      SPEED_HTTP_PORT: String(port),
    });
    const readiness = async (): Promise<Readiness> => {
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`);
      return { status: response.status, body: (await response.json()) as Readiness['body'] };
    };
    const waitFor = async (wanted: (state: Readiness) => boolean, timeoutMs: number): Promise<Readiness> => {
      const deadline = Date.now() + timeoutMs;
      let state = await readiness();
      while (!wanted(state) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        state = await readiness();
      }
      return state;
    };
    try {
      await speed.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('speed layer listening'), 120_000);
      expect((await waitFor((state) => state.status === 200, 60_000)).status).toBe(200);

      await kafka.stop();
      const down = await waitFor((state) => state.status === 503, 60_000);
      expect(down.status).toBe(503);
      const reason = String(down.body.error?.['modules']?.['kafka-broker'] ?? '');
      expect(reason).toMatch(/broker did not answer|left its group/);

      await kafka.restart();
      const back = await waitFor((state) => state.status === 200, 120_000);
      expect(back).toMatchObject({ status: 200, body: { status: 'ok' } });
    } finally {
      expect(await speed.stop('SIGTERM')).toBe(0);
    }
  }, 420_000);
});
