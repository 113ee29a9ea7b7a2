import { ApiKeyRing, readApiKeyFile } from '@platform/access';
import { AuditLogRepository, ClickHouseEngine, runMigrations } from '@platform/clickhouse-store';
import { type EventStream } from '@platform/event-stream';
import { type PlatformConfig, platformEventStream } from '@platform/platform-config';
import { type DynamicModule, Global, Inject, Injectable, Module, type OnApplicationShutdown } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { PinoLogger } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { API_KEY_RING, ApiKeyGuard, AUDIT_LOG } from './api-key.guard';
import { HealthController } from './health.controller';
import { platformLoggerModule, type RequestLogSampling } from './logging';
import { createMetricsRegistry, MetricsController } from './metrics';
import { Readiness } from './readiness';

export const PLATFORM_CONFIG = Symbol('PLATFORM_CONFIG');
/** The Kafka event stream, or null in embedded mode (no KAFKA_BROKERS). */
export const EVENT_STREAM = Symbol('EVENT_STREAM');

/** Closes the engine after every module has stopped using it (shutdown hooks run in this order). */
@Injectable()
class EngineLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ClickHouseEngine) private readonly engine: ClickHouseEngine) {}

  async onApplicationShutdown(): Promise<void> {
    await this.engine.close();
  }
}

/**
 * What every layer's service shares, once per process: config, JSON logs, the ClickHouse engine
 * (migrated before anything uses it), Kafka when configured, API keys and the audit log behind a
 * global guard, metrics at /metrics, health at /health/live and /health/ready.
 */
@Global()
@Module({})
export class PlatformCoreModule {
  static forRoot(service: string, config: PlatformConfig, options: { readonly requestLogSampling?: RequestLogSampling } = {}): DynamicModule {
    return {
      module: PlatformCoreModule,
      imports: [platformLoggerModule(service, config.logLevel, options.requestLogSampling), TerminusModule],
      controllers: [MetricsController, HealthController],
      providers: [
        { provide: PLATFORM_CONFIG, useValue: config },
        {
          provide: ClickHouseEngine,
          useFactory: async (logger: PinoLogger) => {
            const engine = await ClickHouseEngine.open(config.engine);
            const migrations = await runMigrations(engine);
            logger.info({ engine: engine.kind, ...migrations }, 'store ready');
            return engine;
          },
          inject: [PinoLogger],
        },
        EngineLifecycle,
        { provide: AUDIT_LOG, useFactory: (engine: ClickHouseEngine) => new AuditLogRepository(engine), inject: [ClickHouseEngine] },
        {
          provide: API_KEY_RING,
          useFactory: async (logger: PinoLogger) => {
            const entries = await readApiKeyFile(config.apiKeysFile);
            if (entries.length === 0) logger.warn({ file: config.apiKeysFile }, 'no API keys configured: every admin route answers 401');
            return new ApiKeyRing(entries);
          },
          inject: [PinoLogger],
        },
        {
          provide: EVENT_STREAM,
          useFactory: (logger: PinoLogger): EventStream | null => platformEventStream(config, logger.logger),
          inject: [PinoLogger],
        },
        { provide: Registry, useFactory: () => createMetricsRegistry(service) },
        Readiness,
        { provide: APP_GUARD, useClass: ApiKeyGuard },
      ],
      exports: [PLATFORM_CONFIG, ClickHouseEngine, AUDIT_LOG, API_KEY_RING, EVENT_STREAM, Registry, Readiness],
    };
  }
}
