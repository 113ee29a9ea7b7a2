/**
 * `npm start`: the platform in one process on the embedded default (chDB in-process, no servers).
 * On a fresh clone it trains and registers the demo model, generates the demo source, creates an
 * admin API key, runs the first batch run, then keeps serving the batch layer's admin API and runs
 * it on schedule. Ctrl-C stops it cleanly (a run in flight is cancelled and dropped).
 *
 * The speed and query layers join this process as they are built.
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addApiKey, readApiKeyFile } from '@platform/access';
import { BatchLayerModule } from '@platform/batch-service';
import { loadPlatformConfig } from '@platform/platform-config';
import { API_DOCS_PATH, createHttpApp, PlatformCoreModule } from '@platform/service-kit';
import { Logger } from 'nestjs-pino';
import { DemoSetup } from './demo-setup.provider';

const QUICK_START_KEY_NAME = 'quickstart-admin';

/** With no key configured, one admin key is made and kept beside the key file (mode 0600). */
async function ensureAdminKey(apiKeysFile: string): Promise<string | null> {
  if ((await readApiKeyFile(apiKeysFile)).length > 0) return null;
  const { key } = await addApiKey(apiKeysFile, QUICK_START_KEY_NAME, ['admin']);
  const keyFile = join(dirname(apiKeysFile), `${QUICK_START_KEY_NAME}.key`);
  await writeFile(keyFile, `${key}\n`, { mode: 0o600 });
  return keyFile;
}

async function main(): Promise<void> {
  const config = loadPlatformConfig();
  const keyFile = await ensureAdminKey(config.apiKeysFile);
  const app = await createHttpApp(
    {
      module: class Platform {},
      imports: [PlatformCoreModule.forRoot('platform', config), BatchLayerModule],
      providers: [DemoSetup],
    },
    { title: 'Lambda prediction platform', description: 'Batch layer admin API (the speed and query layers join as they are built)', version: '1' },
  );
  await app.listen({ host: config.http.host, port: config.http.batchPort });
  const url = await app.getUrl();
  const logger = app.get(Logger);
  if (keyFile !== null) logger.log(`created an admin API key for this quick start: ${keyFile} (send it as the x-api-key header)`);
  logger.log(`platform up on ${config.engine.kind}: API docs ${url}/${API_DOCS_PATH}, batch runs ${url}/admin/models/churn/runs, metrics ${url}/metrics`);
}

main().catch((error: unknown) => {
  process.stderr.write(`platform failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
