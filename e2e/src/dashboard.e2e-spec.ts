import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '@platform/access';
import { type Browser, chromium, type Page } from 'playwright-core';
import { demoFeatures } from './support/demo-manifest';
import { startEmbeddedPlatform } from './support/embedded-platform';
import { freePort, REPO_ROOT } from './support/service-process';
import { type ServedAnswer } from './support/served-answer';

/** Debian's chromium package (scripts/test.sh installs it); playwright-core downloads no browser. */
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
/** Gitignored (artifacts/); CI keeps what the run left there. */
const ARTIFACTS_DIR = join(REPO_ROOT, 'e2e', 'artifacts');

interface Gate {
  name: string;
  passed: boolean;
  observed: number | null;
}

interface RunView {
  runId: string;
  status: string;
  report: { gates: Gate[]; segments: { groups: unknown[] } } | null;
}

interface Summary {
  runId: string;
  countsBySource: { batch: number; speed: number };
  scoreDistribution: { count: number }[];
  freshness: { batchLoadedAt: number; speedAsOf: number };
}

/**
 * The dashboard as a user opens it: `npm start` on the embedded default (demo model, two batch
 * runs, so the second has drift against the first), the page in headless Chromium with a read
 * key, its values checked against the API, a speed update arriving over the live feed.
 */
describe('dashboard page in headless Chromium', () => {
  it('renders the current run, run history, drift, segments and a lookup from the API, and shows a live update', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: scripts/test.sh installs Debian's chromium package`);
    const workDir = mkdtempSync(join(tmpdir(), 'dashboard-'));
    const keysFile = join(workDir, 'api-keys.json');
    const readKey = (await addApiKey(keysFile, 'dashboard', ['read'])).key;
    const adminKey = (await addApiKey(keysFile, 'ops', ['admin'])).key;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const platform = startEmbeddedPlatform(workDir, port, { BATCH_SCHEDULER: 'off', DEMO_SOURCE_ROWS: '5000', QUERY_POINTER_POLL_MS: '200' });
    const call = async <T>(path: string, key: string, init: RequestInit = {}): Promise<T> => {
      const response = await fetch(`${base}${path}`, { ...init, headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), 'x-api-key': key } });
      if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };
    let browser: Browser | undefined;
    try {
      await platform.waitForLog((line) => line.msg === 'run published', 120_000);
      expect(platform.text).toContain(`dashboard ${base}/dashboard/`);
      // A second run has the first as its reference: its report measures drift (PSI).
      const { runId } = await call<{ runId: string }>('/admin/models/churn/runs', adminKey, { method: 'POST' });
      const outcome = await platform.waitForLog((line) => line['runId'] === runId && /^run (published|failed|cancelled)/.test(String(line.msg)), 120_000);
      expect(outcome).toMatchObject({ msg: 'run published' });
      // Until the query layer has loaded the run it answers with the one before (or 404: none yet).
      let lastAnswer: unknown;
      await eventually(async () => {
        lastAnswer = await call<Summary>('/models/churn/summary', readKey).catch((error: unknown) => String(error));
        return (lastAnswer as Partial<Summary>).runId === runId;
      }, 60_000).catch((error: unknown) => {
        throw new Error(`${String(error)}: the query layer never served ${runId}; its last summary answer: ${JSON.stringify(lastAnswer).slice(0, 500)}\n${platform.text.slice(-4_000)}`);
      });

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => void (message.type() === 'error' && pageErrors.push(message.text())));

      await page.goto(`${base}/dashboard`);
      await page.locator('#api-key').fill(readKey);
      await page.locator('#key-form button[type=submit]').click();
      await expectText(page, '[data-field=runId]', runId);

      const summary = await call<Summary>('/models/churn/summary', readKey);
      const runs = await call<RunView[]>('/models/churn/runs?limit=20', readKey);
      expect(await text(page, '[data-field=batchCount]')).toBe(summary.countsBySource.batch.toLocaleString('en-US'));
      expect(await text(page, '[data-field=batchLoadedAt]')).toContain(new Date(summary.freshness.batchLoadedAt).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
      expect(await text(page, '[data-field=speedAsOf]')).toMatch(/ago\)$/);
      expect(await page.locator('#distribution-chart').getAttribute('data-counts')).toBe(summary.scoreDistribution.map((bin) => bin.count).join(','));
      const runRows = page.locator('#runs-body tr');
      const shownRunIds: (string | null)[] = [];
      for (let index = 0; index < (await runRows.count()); index += 1) shownRunIds.push(await runRows.nth(index).getAttribute('data-run-id'));
      expect(shownRunIds).toEqual(runs.map((run) => run.runId));
      expect(runs.map((run) => run.status)).toEqual(['published', 'published']);

      const report = runs[0]!.report!;
      const psiGates = report.gates.filter((gate) => /^(output|feature)-psi:/.test(gate.name));
      expect(psiGates.length).toBeGreaterThan(1);
      for (const gate of psiGates) {
        expect(gate.observed).not.toBeNull();
        expect(await text(page, `#drift-body tr[data-gate="${gate.name}"] td:nth-child(2)`)).toBe(gate.observed!.toFixed(4));
      }
      expect(await page.locator('#segments-body tr').count()).toBe(report.segments.groups.length);
      expect(report.segments.groups.length).toBeGreaterThan(0);

      // The lookup box shows the entity's provenance as the API answers it.
      const [top] = (await call<{ predictions: ServedAnswer[] }>('/models/churn/ranking?limit=1', readKey)).predictions;
      await page.locator('#lookup-id').fill(top!.entityId);
      await page.locator('#lookup-form button').click();
      await expectText(page, '[data-provenance=entity]', top!.entityId);
      expect(await text(page, '[data-provenance=source]')).toBe('batch');
      expect(await text(page, '[data-provenance=run]')).toBe(runId);
      expect(await text(page, '[data-provenance=score]')).toBe(top!.outputs[0]!.toFixed(4));

      // An event for that entity comes in over HTTP: the live feed brings its speed answer to the page.
      await expectText(page, '#live-state', 'open');
      const event = { schema: 'feature-event/v1', eventId: 'dashboard-1', entityId: top!.entityId, eventTime: Date.now(), model: 'churn', features: demoFeatures(join(workDir, 'store')) };
      await call('/feature-events', adminKey, { method: 'POST', body: JSON.stringify({ events: [event] }) });
      await page.locator('#live-events li', { hasText: `${top!.entityId}: speed` }).waitFor({ timeout: 10_000 });
      const served = await call<ServedAnswer>(`/models/churn/predictions/${encodeURIComponent(top!.entityId)}`, readKey);
      expect(served).toMatchObject({ source: 'speed', eventId: 'dashboard-1' });
      await expectText(page, '[data-provenance=event]', 'dashboard-1');
      expect(await text(page, '[data-provenance=score]')).toBe(served.outputs[0]!.toFixed(4));
      expect(Number(await text(page, '#live-count'))).toBeGreaterThanOrEqual(1);

      mkdirSync(ARTIFACTS_DIR, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS_DIR, 'dashboard.png'), fullPage: true });
      expect(pageErrors).toEqual([]);
      // The key stays in the tab's session storage, out of the page's URLs.
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.length)).toBe(1);
      expect(page.url()).not.toContain(readKey);
    } finally {
      await browser?.close();
      expect(await platform.stop('SIGINT')).toBe(0);
    }
  }, 150_000);
});

/** What the page-side checks use of the browser's globals (the e2e project compiles without DOM types). */
interface PageGlobals {
  document: { querySelector(selector: string): { textContent: string | null } | null };
  sessionStorage: { length: number };
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}

async function expectText(page: Page, selector: string, expected: string): Promise<void> {
  // A function, not a string: the page's CSP forbids eval, which string expressions need.
  const shows = ([css, want]: readonly [string, string]): boolean => (globalThis as unknown as PageGlobals).document.querySelector(css)?.textContent?.trim() === want;
  await page.waitForFunction(shows, [selector, expected] as const, { timeout: 10_000 }).catch(async (error: unknown) => {
    throw new Error(`${selector} shows "${await text(page, selector)}", expected "${expected}": ${String(error)}`);
  });
}

async function eventually(done: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
