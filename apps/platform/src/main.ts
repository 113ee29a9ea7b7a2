/**
 * `npm start`: the whole platform in one process on the embedded default (chDB in-process, no
 * servers): the same modules as the three services. On a fresh clone it trains and registers the
 * demo model, generates the demo source, creates an admin API key and runs the first batch run;
 * then it serves the batch admin API and runs on schedule, takes feature events over HTTP into the
 * speed layer's pipeline (no Kafka runs here; with KAFKA_BROKERS set the real consumer is used),
 * and serves merged predictions. Ctrl-C stops it cleanly (a run in flight is cancelled and dropped).
 */
import 'reflect-metadata';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { addApiKey, readApiKeyFile } from '@platform/access';
import { BatchLayerModule } from '@platform/batch-service';
import { loadPlatformConfig } from '@platform/platform-config';
import { DASHBOARD_PATH, MAX_ENTITY_ID_PATH_CHARS, QueryLayerModule, queryRequestLogSampling } from '@platform/query-service';
import { API_DOCS_PATH, createHttpApp, PlatformCoreModule } from '@platform/service-kit';
import { FEATURE_EVENTS_BODY_LIMIT_BYTES, SpeedLayerModule } from '@platform/speed-service';
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
      imports: [
        PlatformCoreModule.forRoot('platform', config, { requestLogSampling: queryRequestLogSampling(config) }),
        BatchLayerModule,
        SpeedLayerModule,
        QueryLayerModule,
      ],
      providers: [DemoSetup],
    },
    {
      title: 'Lambda prediction platform',
      description: 'Batch admin API, feature event intake (speed layer) and merged predictions (query layer)',
      version: '1',
      bodyLimit: Math.max(config.query.bodyLimitBytes, FEATURE_EVENTS_BODY_LIMIT_BYTES),
      maxParamLength: MAX_ENTITY_ID_PATH_CHARS,
    },
  );
  await app.listen({ host: config.http.host, port: config.http.batchPort });
  const url = await app.getUrl();
  const logger = app.get(Logger);
  if (keyFile !== null) logger.log(`created an admin API key for this quick start: ${keyFile} (send it as the x-api-key header)`);
  logger.log(
    `platform up on ${config.engine.kind}: dashboard ${url}${DASHBOARD_PATH}, API docs ${url}/${API_DOCS_PATH}, merged predictions ${url}/models/churn/predictions/<entity id>, ` +
      `feature events POST ${url}/feature-events, batch runs ${url}/admin/models/churn/runs, metrics ${url}/metrics`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`platform failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
