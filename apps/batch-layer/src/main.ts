/**
 * The batch layer as its own service (multi-process deployments: a ClickHouse server, and Kafka to
 * coordinate runs between replicas). Settings come from the environment: see
 * libs/platform-config. Serves the admin API, /metrics, /health and the API docs at /docs.
 */
import 'reflect-metadata';
import { BatchLayerModule } from '@platform/batch-service';
import { loadPlatformConfig } from '@platform/platform-config';
import { API_DOCS_PATH, createHttpApp, PlatformCoreModule } from '@platform/service-kit';
import { Logger } from 'nestjs-pino';

async function main(): Promise<void> {
  const config = loadPlatformConfig();
  const app = await createHttpApp(
    { module: class BatchLayerService {}, imports: [PlatformCoreModule.forRoot('batch-layer', config), BatchLayerModule] },
    { title: 'Batch layer', description: 'Scheduled full rescoring: runs, verification reports, rollback', version: '1' },
  );
  await app.listen({ host: config.http.host, port: config.http.batchPort });
  app.get(Logger).log(`batch layer listening on ${await app.getUrl()} (API docs at /${API_DOCS_PATH})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`batch layer failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
