import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, type RunningService, startPlatformService } from './support/service-process';
import { platformCliOk } from './support/platform-cli';

const SOURCE_ROWS = 1_000_000;

interface RunView {
  runId: string;
  status: string;
  rows: number;
  error: string;
  report?: { passed: boolean } | null;
}

/**
 * Two batch-layer replicas as an operator deploys them: one ClickHouse server, Kafka for run
 * coordination, the admin API with keys. Needs CLICKHOUSE_URL and KAFKA_BROKERS (npm test sets both).
 */
describe('batch layer service: two replicas on a server, coordinated through Kafka', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'batch-service-'));
  const tag = Date.now().toString(36);
  const deploymentsFile = join(workDir, 'deployments.json');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CLICKHOUSE_DATABASE: `e2e_batch_service_${tag}`,
    MODEL_STORE_DIR: join(workDir, 'store'),
    API_KEYS_FILE: join(workDir, 'api-keys.json'),
    DEPLOYMENTS_FILE: deploymentsFile,
    BATCH_CONTROL_TOPIC: `e2e.batch-control.${tag}`,
    KAFKA_CLIENT_ID: `e2e-batch-${tag}`,
    BATCH_SCHEDULER: 'off',
    BATCH_INITIAL_RUN: 'off',
  };
  const replicas: RunningService[] = [];
  let adminKey = '';
  let readKey = '';

  /** Ready once start-up recovery is done (it takes the model's run lock for a moment). */
  async function startReplica(): Promise<RunningService> {
    const replica = await startPlatformService('batch-layer', env);
    replicas.push(replica);
    return replica;
  }

  async function call(url: string, method: 'GET' | 'POST', key = adminKey): Promise<{ status: number; body: unknown }> {
    const response = await fetch(url, { method, headers: key === '' ? {} : { 'x-api-key': key } });
    return { status: response.status, body: await response.json() };
  }

  async function waitForRun(url: string, runId: string, done: (run: RunView) => boolean): Promise<RunView> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      const { body } = await call(`${url}/admin/models/churn/runs/${runId}`, 'GET');
      if (done(body as RunView)) return body as RunView;
      if (Date.now() > deadline) throw new Error(`run ${runId} still ${JSON.stringify(body).slice(0, 300)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  beforeAll(async () => {
    const deployments = JSON.parse(readFileSync(join(REPO_ROOT, 'config', 'deployments.json'), 'utf8')) as object[];
    // Small chunks, one at a time: the run lasts long enough (several seconds, where a default run of
    // these rows takes about two) for the second replica to ask while it is under way.
    writeFileSync(deploymentsFile, JSON.stringify(deployments.map((deployment) => ({ ...deployment, chunkRows: 4_096, pipelineDepth: 1 }))));
    await platformCliOk(env, 'train-demo-model', '--out', join(workDir, 'model'), '--version', '1.0.0', '--rows', '60000');
    await platformCliOk(env, 'models-cli', 'register', join(workDir, 'model'));
    await platformCliOk(env, 'models-cli', 'promote', 'churn', '1.0.0');
    await platformCliOk(env, 'batch-cli', 'demo-data', '--rows', String(SOURCE_ROWS));
    adminKey = (await platformCliOk(env, 'keys-cli', 'add', '--name', 'ops', '--scopes', 'admin')).trim();
    readKey = (await platformCliOk(env, 'keys-cli', 'add', '--name', 'dashboard', '--scopes', 'read')).trim();
    await Promise.all([startReplica(), startReplica()]);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(replicas.map(({ process }) => process.stop('SIGTERM')));
  });

  it('is ready, documents its API and refuses requests without an admin key (auditing the refusal)', async () => {
    const [a] = replicas;
    expect((await fetch(`${a!.url}/health/ready`)).status).toBe(200);
    const docs = (await (await fetch(`${a!.url}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(docs.paths)).toEqual(expect.arrayContaining(['/admin/models/{model}/runs', '/admin/models/{model}/rollback', '/admin/audit']));
    expect((await call(`${a!.url}/admin/models`, 'GET', '')).status).toBe(401);
    expect((await call(`${a!.url}/admin/models/churn/runs`, 'POST', readKey)).status).toBe(403);
    const audit = (await call(`${a!.url}/admin/audit?limit=5`, 'GET')).body as { actor: string; outcome: string }[];
    expect(audit[0]).toMatchObject({ actor: 'dashboard', outcome: 'rejected' });
  });

  it('runs a model on one replica at a time: the other answers 409 until the run is over', async () => {
    const [a, b] = replicas;
    const started = await call(`${a!.url}/admin/models/churn/runs`, 'POST');
    expect(started.status).toBe(202);
    const { runId } = started.body as RunView;
    const refused = await call(`${b!.url}/admin/models/churn/runs`, 'POST');
    expect(refused).toMatchObject({ status: 409, body: { error: 'RUN_IN_PROGRESS' } });

    const published = await waitForRun(b!.url, runId, (view) => view.status !== 'running' && view.status !== 'verifying');
    expect(published).toMatchObject({ status: 'published', rows: SOURCE_ROWS, report: { passed: true } });
    const metrics = await (await fetch(`${a!.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`batch_rows_scored_total\\{model="churn"[^}]*\\} ${SOURCE_ROWS}\\b`));
    expect(metrics).toMatch(/tfjs_backend_info\{backend="tensorflow",native="true"/);

    const second = await call(`${b!.url}/admin/models/churn/runs`, 'POST');
    expect(second.status).toBe(202);
    const secondRun = await waitForRun(a!.url, (second.body as RunView).runId, (view) => view.status === 'published' || view.status === 'failed');
    expect(secondRun.status).toBe('published');

    const rollback = await call(`${a!.url}/admin/models/churn/rollback`, 'POST');
    expect(rollback).toMatchObject({ status: 200, body: { runId, action: 'rollback', actor: 'ops' } });
    expect((await call(`${b!.url}/admin/models/churn/rollback`, 'POST')).status).toBe(409);

    // A run's end is audited once its lease is released, a moment after its record says published.
    const trail = async (): Promise<string[]> =>
      ((await call(`${b!.url}/admin/audit?model=churn&limit=10`, 'GET')).body as { action: string; outcome: string }[])
        .filter(({ action }) => action.startsWith('run.'))
        .map(({ action, outcome }) => `${action} ${outcome}`);
    const deadline = Date.now() + 10_000;
    while ((await trail()).length < 7 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
    expect(new Set(await trail())).toEqual(
      new Set(['run.rollback rejected', 'run.rollback accepted', 'run.publish accepted', 'run.start accepted', 'run.start rejected']),
    );
    expect((await trail()).filter((entry) => entry === 'run.publish accepted' || entry === 'run.start accepted')).toHaveLength(4);
    const latency = await (await fetch(`${b!.url}/metrics`)).text();
    expect(latency).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/admin\/models\/:model\/rollback",status="409"[^}]*\} 1/);
  }, 300_000);

  it('cancels a run in flight on SIGTERM, exits 0, and the other replica can run next', async () => {
    const [a, b] = replicas;
    const started = await call(`${a!.url}/admin/models/churn/runs`, 'POST');
    expect(started.status).toBe(202);
    const { runId } = started.body as RunView;
    expect(await a!.process.stop('SIGTERM')).toBe(0);
    const cancelled = await waitForRun(b!.url, runId, (view) => view.status === 'failed');
    expect(cancelled.error).toMatch(/RunCancelledError/);
    const next = await call(`${b!.url}/admin/models/churn/runs`, 'POST');
    expect(next.status).toBe(202);
    expect((await waitForRun(b!.url, (next.body as RunView).runId, (view) => view.status === 'published' || view.status === 'failed')).status).toBe('published');
  }, 300_000);
});
