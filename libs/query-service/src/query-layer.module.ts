import { KeyRateLimiter } from '@platform/access';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import { ClickHouseEngine, ServingPointerRepository } from '@platform/clickhouse-store';
import { type PlatformConfig } from '@platform/platform-config';
import { ServingState } from '@platform/query-domain';
import { LiveFeed, ServingStateReader, ServingStateSync } from '@platform/query-layer';
import { PLATFORM_CONFIG, Readiness } from '@platform/service-kit';
import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { DashboardAssets } from './dashboard-assets';
import { LiveTicketBook } from './live-ticket-book';
import { LiveTicketsController } from './live-tickets.controller';
import { QueryController } from './query.controller';
import { RunsController } from './runs.controller';
import { QueryMetrics } from './query-metrics';
import { QUERY_RATE_LIMITER, RateLimitGuard } from './rate-limit.guard';

/**
 * Builds the serving state once the application is up (the HTTP server answers meanwhile, not
 * ready); on shutdown ends the live streams and stops polling before the engine closes.
 */
@Injectable()
class ServingStateLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private starting: Promise<void> = Promise.resolve();

  constructor(
    @Inject(ServingStateSync) private readonly sync: ServingStateSync,
    @Inject(LiveFeed) private readonly feed: LiveFeed,
    @Inject(Readiness) readiness: Readiness,
  ) {
    readiness.register({ name: 'serving-state', notReadyReason: () => (this.sync.ready ? null : 'loading the current runs') });
  }

  onApplicationBootstrap(): void {
    this.starting = this.sync.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Open live streams end first: the HTTP server closes only once their responses are done.
    this.feed.close();
    await this.starting;
    await this.sync.stop();
  }
}

/**
 * The query layer as a Nest module: merged predictions served from memory, kept in step with
 * ClickHouse, and the dashboard page at /dashboard/. Needs PlatformCoreModule (engine, keys,
 * metrics, readiness) in the same application.
 */
@Module({
  controllers: [QueryController, RunsController, LiveTicketsController],
  providers: [
    { provide: ServingState, useFactory: () => new ServingState() },
    { provide: LiveFeed, useFactory: () => new LiveFeed() },
    { provide: LiveTicketBook, useFactory: () => new LiveTicketBook() },
    {
      provide: QUERY_RATE_LIMITER,
      useFactory: (config: PlatformConfig) => new KeyRateLimiter(config.query.rateLimit.perSecond, config.query.rateLimit.burst),
      inject: [PLATFORM_CONFIG],
    },
    RateLimitGuard,
    {
      provide: ServingStateSync,
      useFactory: (serving: ServingState, feed: LiveFeed, engine: ClickHouseEngine, config: PlatformConfig, registry: Registry, logger: PinoLogger) =>
        new ServingStateSync(
          serving,
          new ServingPointerRepository(engine),
          new ServingStateReader(engine, bulkColumnarIoFor(engine)),
          config.query,
          logger.logger,
          [new QueryMetrics(registry, serving), feed],
        ),
      inject: [ServingState, LiveFeed, ClickHouseEngine, PLATFORM_CONFIG, Registry, PinoLogger],
    },
    ServingStateLifecycle,
    DashboardAssets,
  ],
  exports: [ServingState, ServingStateSync, LiveFeed],
})
export class QueryLayerModule {}
