import { BatchOperations, createBatchLayer } from '@platform/batch-layer';
import { ClickHouseEngine, ServingPointerRepository } from '@platform/clickhouse-store';
import { type EventStream } from '@platform/event-stream';
import { type PlatformConfig } from '@platform/platform-config';
import { EVENT_STREAM, PLATFORM_CONFIG } from '@platform/service-kit';
import { type BeforeApplicationShutdown, Inject, Injectable, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { PinoLogger } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { BatchAdminController } from './batch-admin.controller';
import { BatchMetrics } from './batch-metrics';
import { BatchScheduler } from './batch-scheduler';

/** On shutdown, runs in flight are cancelled (marked failed, dropped) before the engine closes. */
@Injectable()
class CancelRunsOnShutdown implements BeforeApplicationShutdown {
  constructor(@Inject(BatchOperations) private readonly operations: BatchOperations) {}

  async beforeApplicationShutdown(): Promise<void> {
    await this.operations.shutdown('the service is shutting down');
  }
}

/**
 * The batch layer as a Nest module: runs on cron and on demand, the admin API, recovery at start.
 * Needs PlatformCoreModule (engine, Kafka, keys, audit, metrics) in the same application.
 */
@Module({
  imports: [ScheduleModule.forRoot()],
  controllers: [BatchAdminController],
  providers: [
    {
      provide: BatchOperations,
      useFactory: async (engine: ClickHouseEngine, config: PlatformConfig, eventStream: EventStream | null, registry: Registry, logger: PinoLogger) => {
        let models: readonly string[] = [];
        const metrics = new BatchMetrics(registry, new ServingPointerRepository(engine), () => models);
        const { operations, runtime } = await createBatchLayer({ engine, config, eventStream, log: logger.logger, observer: metrics });
        models = operations.deployments.map((deployment) => deployment.model);
        metrics.recordBackend(runtime.backend, runtime.native);
        return operations;
      },
      inject: [ClickHouseEngine, PLATFORM_CONFIG, EVENT_STREAM, Registry, PinoLogger],
    },
    BatchScheduler,
    CancelRunsOnShutdown,
  ],
  exports: [BatchOperations],
})
export class BatchLayerModule {}
