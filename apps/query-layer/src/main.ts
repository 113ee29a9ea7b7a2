/**
 * The query layer as its own service: merged predictions served from an in-memory state that
 * follows ClickHouse (runs loaded in bulk on publish and rollback, speed rows tailed). Settings
 * come from the environment (libs/platform-config); serves the API on QUERY_HTTP_PORT with
 * /metrics, /health and the API docs at /docs.
 */
import 'reflect-metadata';
import { loadPlatformConfig } from '@platform/platform-config';
import { createQueryHttpApp, DASHBOARD_PATH } from '@platform/query-service';
import { API_DOCS_PATH } from '@platform/service-kit';
import { Logger } from 'nestjs-pino';

async function main(): Promise<void> {
  const config = loadPlatformConfig();
  const app = await createQueryHttpApp(config);
  await app.listen({ host: config.http.host, port: config.query.httpPort });
  app.get(Logger).log(`query layer listening on ${await app.getUrl()} (API docs at /${API_DOCS_PATH}, dashboard at ${DASHBOARD_PATH})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`query layer failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
