import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyRateLimiter } from '@platform/access';
import { bulkColumnarIoFor } from '@platform/clickhouse-bulk-io';
import { ClickHouseEngine, ServingPointerRepository } from '@platform/clickhouse-store';
import { type EventStream } from '@platform/event-stream';
import { type PlatformConfig } from '@platform/platform-config';
import { ServingState } from '@platform/query-domain';
import { LiveFeed, ServingStateReader, ServingStateSync, type SpeedRowCounts, SpeedTopicFeed, topicSpeedRowSources } from '@platform/query-layer';
import { EVENT_STREAM, PLATFORM_CONFIG, Readiness } from '@platform/service-kit';
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
import { registerSpeedTopicMetrics } from './speed-topic-metrics';

/** With Kafka and output topics: the consumer of the speed layer's output topics; otherwise the tails poll ClickHouse. */
const SPEED_TOPIC_FEED = Symbol('SPEED_TOPIC_FEED');
/** How often a tail fed by a topic reads ClickHouse anyway, for messages its consumer missed. */
const SPEED_TOPIC_RECONCILE_MS = 30_000;
/** How long the first load waits for the topic consumer to be live. */
const SPEED_TOPIC_START_WAIT_MS = 5_000;

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
    @Inject(SPEED_TOPIC_FEED) private readonly speedTopics: SpeedTopicFeed | null,
    @Inject(Readiness) readiness: Readiness,
  ) {
    readiness.register({ name: 'serving-state', notReadyReason: () => (this.sync.ready ? null : 'loading the current runs') });
  }

  onApplicationBootstrap(): void {
    // A tail polls ClickHouse until the topic consumer is live, then reads it once more: waiting for
    // the consumer only saves that read, so a broker that does not answer delays the state little.
    const speedTopicsStarted = this.speedTopics?.start() ?? Promise.resolve();
    this.starting = Promise.race([speedTopicsStarted, sleep(SPEED_TOPIC_START_WAIT_MS, undefined, { ref: false })]).then(() => this.sync.start());
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Open live streams end first: the HTTP server closes only once their responses are done.
    this.feed.close();
    await this.starting;
    await this.sync.stop();
    await this.speedTopics?.stop();
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
      provide: SPEED_TOPIC_FEED,
      useFactory: (eventStream: EventStream | null, config: PlatformConfig, logger: PinoLogger) =>
        eventStream === null || config.speed.outputTopics.size === 0
          ? null
          : new SpeedTopicFeed(
              eventStream,
              {
                topicsByModel: config.speed.outputTopics,
                // Every replica needs every message: a group of this process alone, never committed.
                groupId: `query-layer-${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`,
                restartDelayMs: 5_000,
                readerIdleMs: 60_000,
              },
              logger.logger,
            ),
      inject: [EVENT_STREAM, PLATFORM_CONFIG, PinoLogger],
    },
    {
      provide: ServingStateSync,
      useFactory: (
        serving: ServingState,
        feed: LiveFeed,
        speedTopics: SpeedTopicFeed | null,
        engine: ClickHouseEngine,
        config: PlatformConfig,
        registry: Registry,
        logger: PinoLogger,
      ) => {
        const rowCounts: SpeedRowCounts = { topic: 0, store: 0 };
        if (speedTopics !== null) registerSpeedTopicMetrics(registry, speedTopics, rowCounts);
        const reconcile = { reconcileIntervalMs: SPEED_TOPIC_RECONCILE_MS, overlapMs: config.query.speedOverlapMs };
        return new ServingStateSync(
          serving,
          new ServingPointerRepository(engine),
          new ServingStateReader(engine, bulkColumnarIoFor(engine)),
          speedTopics === null ? config.query : { ...config.query, speedRowSources: topicSpeedRowSources(speedTopics, reconcile, rowCounts) },
          logger.logger,
          [new QueryMetrics(registry, serving), feed],
        );
      },
      inject: [ServingState, LiveFeed, SPEED_TOPIC_FEED, ClickHouseEngine, PLATFORM_CONFIG, Registry, PinoLogger],
    },
    ServingStateLifecycle,
    DashboardAssets,
  ],
  exports: [ServingState, ServingStateSync, LiveFeed],
})
export class QueryLayerModule {}
