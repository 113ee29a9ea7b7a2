import { ClickHouseEngine, ModelRegistryRepository, ServingPointerRepository, TablePartsRepository } from '@platform/clickhouse-store';
import { type EventStream, type EventStreamProducer, InProcessEventStream, type OutgoingMessage } from '@platform/event-stream';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { type PlatformConfig } from '@platform/platform-config';
import { EVENT_STREAM, PLATFORM_CONFIG, Readiness } from '@platform/service-kit';
import { createSpeedConsumer, EventsNotYetWrittenError, FeatureEventIntake, ServingModelCatalog, SpeedConsumer } from '@platform/speed-layer';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { BrokerHealth } from './broker-health';
import { FeatureEventsController } from './feature-events.controller';
import { SpeedMetrics } from './speed-metrics';
import { SpeedMonitor } from './speed-monitor';

const DEFAULT_EVENT_PARTITIONS = 3;
/** Lag and parts are read this often; a reading the broker has not answered in time marks it unreachable. */
const MONITOR_INTERVAL_MS = 5_000;
const MONITOR_TIMEOUT_MS = 4_000;

/** Joins the consumer group once the application is up; flushes, commits and leaves on shutdown. */
@Injectable()
class SpeedConsumerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private joined = false;

  constructor(
    @Inject(SpeedConsumer) private readonly consumer: SpeedConsumer,
    @Inject(Readiness) readiness: Readiness,
  ) {
    readiness.register({ name: 'speed-consumer', notReadyReason: () => (this.joined ? null : 'joining the consumer group') });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.consumer.start();
    this.joined = true;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
  }
}

/** The configured Kafka, or in the embedded mode (no KAFKA_BROKERS) a stream in this process. */
const SPEED_EVENT_STREAM = Symbol('SPEED_EVENT_STREAM');

/** How long an HTTP submission waits for its events to be written in the embedded mode. */
const EMBEDDED_WRITE_TIMEOUT_MS = 30_000;

/** The intake's Kafka producer (none in the embedded mode), disconnected on shutdown. */
@Injectable()
class IntakeProducer implements OnApplicationShutdown {
  readonly producer: EventStreamProducer | null;

  constructor(@Inject(SPEED_EVENT_STREAM) stream: EventStream) {
    this.producer = stream instanceof InProcessEventStream ? null : stream.createProducer();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.producer?.disconnect();
  }
}

/** Reads lag and parts while the service runs; readiness reports the broker connection. */
@Injectable()
class SpeedMonitorLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    @Inject(SpeedMonitor) private readonly monitor: SpeedMonitor,
    @Inject(BrokerHealth) health: BrokerHealth,
    @Inject(Readiness) readiness: Readiness,
  ) {
    readiness.register({ name: 'kafka-broker', notReadyReason: () => health.notReadyReason() });
  }

  onApplicationBootstrap(): void {
    this.monitor.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.monitor.stop();
  }
}

/**
 * The speed layer as a Nest module: a consumer group member scoring feature events with the
 * current run's model version, and an HTTP intake for feature events. Needs PlatformCoreModule.
 * With Kafka configured (KAFKA_BROKERS) it consumes the feature-events topic; without, the same
 * pipeline runs on an in-process stream that only the HTTP intake feeds (the embedded mode).
 */
@Module({
  controllers: [FeatureEventsController],
  providers: [
    { provide: SPEED_EVENT_STREAM, useFactory: (eventStream: EventStream | null) => eventStream ?? new InProcessEventStream(), inject: [EVENT_STREAM] },
    {
      provide: ServingModelCatalog,
      useFactory: async (engine: ClickHouseEngine, config: PlatformConfig, logger: PinoLogger) => {
        const models = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(config.modelStoreDir));
        const runtime = await TfjsModelRuntime.create({ logger: logger.logger });
        return new ServingModelCatalog({
          models: async () => [...new Set((await models.list()).map((entry) => entry.model))],
          pointers: new ServingPointerRepository(engine),
          loadModel: async (model, version) => runtime.load((await models.describe(model, version)).package.packageDir),
        });
      },
      inject: [ClickHouseEngine, PLATFORM_CONFIG, PinoLogger],
    },
    {
      provide: SpeedConsumer,
      useFactory: async (
        engine: ClickHouseEngine,
        config: PlatformConfig,
        eventStream: EventStream,
        catalog: ServingModelCatalog,
        metrics: SpeedMetrics,
        health: BrokerHealth,
        logger: PinoLogger,
      ) => {
        // Topics an operator has not created get a default layout; existing ones are left as they are.
        const admin = eventStream.createAdmin();
        await admin.connect();
        try {
          await admin.createTopics([
            { topic: config.speed.topic, partitions: DEFAULT_EVENT_PARTITIONS },
            { topic: config.speed.deadLetterTopic, partitions: 1, retentionMs: config.speed.deadLetterRetentionMs },
            ...[...config.speed.outputTopics.values()].map((topic) => ({ topic, partitions: DEFAULT_EVENT_PARTITIONS })),
          ]);
        } finally {
          await admin.disconnect();
        }
        logger.info(
          { topic: config.speed.topic, groupId: config.speed.groupId, stream: eventStream instanceof InProcessEventStream ? 'in-process (HTTP intake only)' : 'kafka' },
          'speed layer ready',
        );
        return createSpeedConsumer(
          {
            engine,
            stream: health.following(eventStream),
            catalog,
            deadLetterTopic: config.speed.deadLetterTopic,
            outputTopics: config.speed.outputTopics,
            allowedClockSkewMs: config.speed.allowedClockSkewMs,
            log: logger.logger,
            onBatch: (outcome, batch) => metrics.observe(outcome, batch),
          },
          { topic: config.speed.topic, groupId: config.speed.groupId, batching: config.speed.batching, retry: { initialMs: 200, maxMs: 30_000 } },
        );
      },
      inject: [ClickHouseEngine, PLATFORM_CONFIG, SPEED_EVENT_STREAM, ServingModelCatalog, SpeedMetrics, BrokerHealth, PinoLogger],
    },
    SpeedConsumerLifecycle,
    IntakeProducer,
    {
      provide: FeatureEventIntake,
      useFactory: async (config: PlatformConfig, eventStream: EventStream, catalog: ServingModelCatalog, intake: IntakeProducer) => {
        const { topic, groupId } = config.speed;
        const send =
          eventStream instanceof InProcessEventStream
            ? (messages: readonly OutgoingMessage[]) => writtenWithin(eventStream.sendUntilCommitted(groupId, topic, messages), EMBEDDED_WRITE_TIMEOUT_MS)
            : (messages: readonly OutgoingMessage[]) => intake.producer!.send(topic, messages);
        await intake.producer?.connect();
        return new FeatureEventIntake({
          send,
          resolvesWhenWritten: eventStream instanceof InProcessEventStream,
          manifests: () => catalog.manifests(),
          allowedClockSkewMs: config.speed.allowedClockSkewMs,
        });
      },
      inject: [PLATFORM_CONFIG, SPEED_EVENT_STREAM, ServingModelCatalog, IntakeProducer],
    },
    { provide: SpeedMetrics, useFactory: (registry: Registry) => new SpeedMetrics(registry), inject: [Registry] },
    { provide: BrokerHealth, useFactory: () => new BrokerHealth() },
    {
      provide: SpeedMonitor,
      useFactory: (engine: ClickHouseEngine, config: PlatformConfig, eventStream: EventStream, metrics: SpeedMetrics, health: BrokerHealth, logger: PinoLogger) => {
        return new SpeedMonitor(
          { createAdmin: () => eventStream.createAdmin(), parts: new TablePartsRepository(engine), metrics, health, log: logger.logger },
          { topic: config.speed.topic, groupId: config.speed.groupId, intervalMs: MONITOR_INTERVAL_MS, timeoutMs: MONITOR_TIMEOUT_MS },
        );
      },
      inject: [ClickHouseEngine, PLATFORM_CONFIG, SPEED_EVENT_STREAM, SpeedMetrics, BrokerHealth, PinoLogger],
    },
    SpeedMonitorLifecycle,
  ],
})
export class SpeedLayerModule {}

/** The write, or EventsNotYetWrittenError after `timeoutMs` (the events stay queued in this process). */
async function writtenWithin(write: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new EventsNotYetWrittenError(`not written within ${timeoutMs} ms (is ClickHouse down?); the events stay queued in this process and are written when it answers`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([write, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
