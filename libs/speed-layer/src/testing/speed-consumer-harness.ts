import { type ClickHouseEngine, ServingPointerRepository } from '@platform/clickhouse-store';
import { type EventStream } from '@platform/event-stream';
import { type ModelManifest } from '@platform/model-package';
import { type TfjsModelRuntime } from '@platform/tfjs-runtime';
import { ServingModelCatalog } from '../serving-model-catalog';
import { type SpeedConsumer, type SpeedConsumerDependencies, type SpeedConsumerOptions } from '../speed-consumer';
import { createSpeedConsumer } from '../speed-consumer-assembly';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface HarnessOptions extends SpeedConsumerOptions {
  readonly deadLetterTopic: string;
  /** Model → output topic (none by default). */
  readonly outputTopics?: ReadonlyMap<string, string>;
  readonly onBatch?: SpeedConsumerDependencies['onBatch'];
  readonly onCatchUp?: SpeedConsumerDependencies['onCatchUp'];
}

/**
 * The speed layer wired as the service wires it, for integration tests: one model (`churn`),
 * every version of it loaded from one package (the pointer's version labels the rows).
 */
export function speedConsumerOn(store: ClickHouseEngine, stream: EventStream, runtime: TfjsModelRuntime, packageDir: string, options: HarnessOptions): { consumer: SpeedConsumer; catalog: ServingModelCatalog } {
  const catalog = new ServingModelCatalog({ models: () => Promise.resolve(['churn']), pointers: new ServingPointerRepository(store), loadModel: () => runtime.load(packageDir) });
  const consumer = createSpeedConsumer(
    {
      engine: store,
      stream,
      catalog,
      deadLetterTopic: options.deadLetterTopic,
      outputTopics: options.outputTopics ?? new Map(),
      allowedClockSkewMs: 60_000,
      log: silent,
      ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
      ...(options.onCatchUp === undefined ? {} : { onCatchUp: options.onCatchUp }),
    },
    options,
  );
  return { consumer, catalog };
}

/** Every feature at a valid value: numbers 1, categories their first. */
export function validFeatures(manifest: ModelManifest): Record<string, number | string> {
  return Object.fromEntries(manifest.features.map((feature) => [feature.name, feature.type === 'numeric' ? 1 : feature.categories[0]!]));
}
