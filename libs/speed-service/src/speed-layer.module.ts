import {
  ClickHouseEngine,
  FeatureEventRepository,
  ModelRegistryRepository,
  ServingPointerRepository,
  SpeedCatchUpRepository,
  SpeedPredictionRepository,
  TablePartsRepository,
} from '@platform/clickhouse-store';
import { type SpeedPrediction } from '@platform/domain';
import { type EventStream } from '@platform/event-stream';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { type PlatformConfig, PlatformConfigError } from '@platform/platform-config';
import { EVENT_STREAM, PLATFORM_CONFIG, Readiness } from '@platform/service-kit';
import { CatchUpScoring, DeadLetterTopic, IngestFeatureEvents, PredictionTopics, ServingModelCatalog, SpeedConsumer } from '@platform/speed-layer';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { type BeforeApplicationShutdown, Inject, Injectable, Module, type OnApplicationBootstrap } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { Registry } from 'prom-client';
import { BrokerHealth } from './broker-health';
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

function assertKafkaConfigured(eventStream: EventStream | null): asserts eventStream is EventStream {
  if (eventStream === null) throw new PlatformConfigError('the speed layer consumes Kafka: set KAFKA_BROKERS');
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
 * current run's model version. Needs PlatformCoreModule, with Kafka configured (KAFKA_BROKERS).
 */
@Module({
  providers: [
    {
      provide: SpeedConsumer,
      useFactory: async (engine: ClickHouseEngine, config: PlatformConfig, eventStream: EventStream | null, metrics: SpeedMetrics, health: BrokerHealth, logger: PinoLogger) => {
        assertKafkaConfigured(eventStream);
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
        const models = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(config.modelStoreDir));
        const runtime = await TfjsModelRuntime.create({ logger: logger.logger });
        const modelNames = [...new Set((await models.list()).map((entry) => entry.model))];
        const catalog = new ServingModelCatalog({
          models: modelNames,
          pointers: new ServingPointerRepository(engine),
          loadModel: async (model, version) => runtime.load((await models.describe(model, version)).package.packageDir),
        });
        const deadLetters = new DeadLetterTopic(eventStream, config.speed.deadLetterTopic);
        const masterDataset = new FeatureEventRepository(engine);
        const predictions = new SpeedPredictionRepository(engine);
        const outputs = new PredictionTopics(eventStream, config.speed.outputTopics, () => catalog.manifests());
        const publishPredictions = (rows: readonly SpeedPrediction[]) => outputs.publish(rows);
        const ingest = new IngestFeatureEvents({
          servingModels: () => catalog.servingModels(),
          manifests: () => catalog.manifests(),
          masterDataset,
          predictions,
          publishPredictions,
          sendDeadLetters: (letters) => deadLetters.send(letters),
          allowedClockSkewMs: config.speed.allowedClockSkewMs,
        });
        logger.info({ models: modelNames, topic: config.speed.topic, groupId: config.speed.groupId }, 'speed layer ready');
        return new SpeedConsumer(
          {
            stream: health.following(eventStream),
            ingest,
            catalog,
            catchUp: new CatchUpScoring({ masterDataset, predictions, publishPredictions, catchUps: new SpeedCatchUpRepository(engine) }),
            deadLetters,
            outputs,
            log: logger.logger,
            onBatch: (outcome, batch) => metrics.observe(outcome, batch),
          },
          { topic: config.speed.topic, groupId: config.speed.groupId, batching: config.speed.batching, retry: { initialMs: 200, maxMs: 30_000 } },
        );
      },
      inject: [ClickHouseEngine, PLATFORM_CONFIG, EVENT_STREAM, SpeedMetrics, BrokerHealth, PinoLogger],
    },
    SpeedConsumerLifecycle,
    { provide: SpeedMetrics, useFactory: (registry: Registry) => new SpeedMetrics(registry), inject: [Registry] },
    { provide: BrokerHealth, useFactory: () => new BrokerHealth() },
    {
      provide: SpeedMonitor,
      useFactory: (engine: ClickHouseEngine, config: PlatformConfig, eventStream: EventStream | null, metrics: SpeedMetrics, health: BrokerHealth, logger: PinoLogger) => {
        assertKafkaConfigured(eventStream);
        return new SpeedMonitor(
          { createAdmin: () => eventStream.createAdmin(), parts: new TablePartsRepository(engine), metrics, health, log: logger.logger },
          { topic: config.speed.topic, groupId: config.speed.groupId, intervalMs: MONITOR_INTERVAL_MS, timeoutMs: MONITOR_TIMEOUT_MS },
        );
      },
      inject: [ClickHouseEngine, PLATFORM_CONFIG, EVENT_STREAM, SpeedMetrics, BrokerHealth, PinoLogger],
    },
    SpeedMonitorLifecycle,
  ],
})
export class SpeedLayerModule {}
