/**
 * The speed layer as its own service: a member of the consumer group on FEATURE_EVENTS_TOPIC that
 * scores feature events with the current run's model version (with KAFKA_BROKERS; without, the same
 * pipeline runs in process and only the HTTP intake feeds it). Serves POST /feature-events (admin
 * key), /health and /metrics on SPEED_HTTP_PORT; SIGTERM flushes, commits and leaves.
 */
import 'reflect-metadata';
import { loadPlatformConfig } from '@platform/platform-config';
import { createHttpApp, PlatformCoreModule } from '@platform/service-kit';
import { FEATURE_EVENTS_BODY_LIMIT_BYTES, SpeedLayerModule } from '@platform/speed-service';
import { Logger } from 'nestjs-pino';

async function main(): Promise<void> {
  const config = loadPlatformConfig();
  const app = await createHttpApp(
    { module: class SpeedLayerService {}, imports: [PlatformCoreModule.forRoot('speed-layer', config), SpeedLayerModule] },
    { title: 'Speed layer', description: 'Feature events scored as they arrive: HTTP intake, health and metrics', version: '1', bodyLimit: FEATURE_EVENTS_BODY_LIMIT_BYTES },
  );
  await app.listen({ host: config.http.host, port: config.speed.httpPort });
  app.get(Logger).log(`speed layer listening on ${await app.getUrl()}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`speed layer failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
