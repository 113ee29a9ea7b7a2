import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addApiKey } from '@platform/access';
import { ENGINE_KINDS, useTestEngine } from '@platform/clickhouse-store/testing';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { MODEL, seedQueryTestData, startQueryTestApp } from './testing/query-test-app';

/** The dashboard's files and the live feed's ticket routes; the page itself is tested in Chromium (e2e/src/dashboard.e2e-spec.ts). */
describe.each(ENGINE_KINDS)('dashboard routes on %s', (kind) => {
  const engine = useTestEngine(kind);
  const keysFile = join(mkdtempSync(join(tmpdir(), 'dashboard-')), 'api-keys.json');
  let app: NestFastifyApplication;
  let url = '';
  let readKey = '';

  beforeAll(async () => {
    readKey = (await addApiKey(keysFile, 'dashboard', ['read'])).key;
    await seedQueryTestData(engine());
    ({ app, url } = await startQueryTestApp(kind, engine(), keysFile));
  });

  afterAll(async () => {
    await app.close();
  });

  async function issueTicket(model = MODEL, key = readKey): Promise<{ status: number; ticket: string }> {
    const response = await app.inject({ method: 'POST', url: `/models/${model}/live/tickets`, headers: key === '' ? {} : { 'x-api-key': key } });
    return { status: response.statusCode, ticket: response.statusCode === 201 ? response.json<{ ticket: string }>().ticket : '' };
  }

  async function openTicketed(ticket: string, model = MODEL): Promise<{ status: number; contentType: string | null }> {
    const response = await fetch(`${url}/models/${model}/live/ticketed?ticket=${encodeURIComponent(ticket)}`);
    await response.body?.cancel();
    return { status: response.status, contentType: response.headers.get('content-type') };
  }

  it('serves the page with a content security policy, Chart.js from node_modules, and nothing else of node_modules', async () => {
    const redirect = await app.inject({ method: 'GET', url: '/dashboard' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers['location']).toBe('/dashboard/');
    const page = await app.inject({ method: 'GET', url: '/dashboard/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(page.body).toContain('vendor/chart.js/chart.umd.min.js');
    expect((await app.inject({ method: 'GET', url: '/dashboard/dashboard.js' })).statusCode).toBe(200);
    const chart = await app.inject({ method: 'GET', url: '/dashboard/vendor/chart.js/chart.umd.min.js' });
    expect(chart.statusCode).toBe(200);
    expect(chart.body).toContain('Chart');
    expect((await app.inject({ method: 'GET', url: '/dashboard/vendor/chart.js/chart.cjs' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/dashboard/vendor/chart.js/../package.json' })).statusCode).toBe(404);
  });

  it('trades a read key for a ticket that opens the live feed once', async () => {
    expect((await issueTicket(MODEL, '')).status).toBe(401);
    expect((await issueTicket('unknown')).status).toBe(404);
    const { status, ticket } = await issueTicket();
    expect(status).toBe(201);
    expect(await openTicketed(ticket, 'other-model')).toMatchObject({ status: 401 });

    const { ticket: fresh } = await issueTicket();
    expect(await openTicketed(fresh)).toEqual({ status: 200, contentType: expect.stringMatching(/text\/event-stream/) as string });
    expect((await openTicketed(fresh)).status).toBe(401);
    expect((await openTicketed('lst_forged')).status).toBe(401);
    expect((await app.inject({ method: 'GET', url: `/models/${MODEL}/live/ticketed` })).statusCode).toBe(400);
    // The key itself does not open this route: only tickets do.
    expect((await openTicketed(readKey)).status).toBe(401);
  });
});
