import { ClickHouseEngine, FeatureEventRepository, ModelRegistryRepository, ServingPointerRepository, SpeedPredictionRepository } from '@platform/clickhouse-store';
import { type EventStream } from '@platform/event-stream';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { type PlatformConfig, PlatformConfigError } from '@platform/platform-config';
import { EVENT_STREAM, PLATFORM_CONFIG, Readiness } from '@platform/service-kit';
import { DeadLetterTopic, IngestFeatureEvents, ServingModelCatalog, SpeedConsumer } from '@platform/speed-layer';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { SpeedMetrics } from './speed-metrics';

const DEFAULT_EVENT_PARTITIONS = 3;

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

/**
 * The speed layer as a Nest module: a consumer group member scoring feature events with the
 * current run's model version. Needs PlatformCoreModule, with Kafka configured (KAFKA_BROKERS).
 */
@Module({
  providers: [
    {
      provide: SpeedConsumer,
      useFactory: async (engine: ClickHouseEngine, config: PlatformConfig, eventStream: EventStream | null, registry: Registry, logger: PinoLogger) => {
        if (eventStream === null) throw new PlatformConfigError('the speed layer consumes Kafka: set KAFKA_BROKERS');
        // Topics an operator has not created get a default layout; existing ones are left as they are.
        const admin = eventStream.createAdmin();
        await admin.connect();
        try {
          await admin.createTopics([
            { topic: config.speed.topic, partitions: DEFAULT_EVENT_PARTITIONS },
            { topic: config.speed.deadLetterTopic, partitions: 1 },
          ]);
        } finally {
          await admin.disconnect();
        }
        const models = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(config.modelStoreDir));
        const runtime = await TfjsModelRuntime.create({ logger: logger.logger });
        const modelNames = [...new Set((await models.list()).map((entry) => entry.model))];
        const catalog = new ServingModelCatalog({
          models: modelNames,
          pointers: new ServingPointerRepository(engine),
          loadModel: async (model, version) => runtime.load((await models.describe(model, version)).package.packageDir),
        });
        const deadLetters = new DeadLetterTopic(eventStream, config.speed.deadLetterTopic);
        const ingest = new IngestFeatureEvents({
          servingModels: () => catalog.servingModels(),
          manifests: () => catalog.manifests(),
          masterDataset: new FeatureEventRepository(engine),
          predictions: new SpeedPredictionRepository(engine),
          sendDeadLetters: (letters) => deadLetters.send(letters),
          allowedClockSkewMs: config.speed.allowedClockSkewMs,
        });
        const metrics = new SpeedMetrics(registry);
        logger.info({ models: modelNames, topic: config.speed.topic, groupId: config.speed.groupId }, 'speed layer ready');
        return new SpeedConsumer(
          eventStream,
          ingest,
          catalog,
          deadLetters,
          { topic: config.speed.topic, groupId: config.speed.groupId, batching: config.speed.batching, retry: { initialMs: 200, maxMs: 30_000 } },
          logger.logger,
          (outcome) => metrics.observe(outcome),
        );
      },
      inject: [ClickHouseEngine, PLATFORM_CONFIG, EVENT_STREAM, Registry, PinoLogger],
    },
    SpeedConsumerLifecycle,
  ],
})
export class SpeedLayerModule {}
