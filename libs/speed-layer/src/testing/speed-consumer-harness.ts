import { type ClickHouseEngine, FeatureEventRepository, ServingPointerRepository, SpeedCatchUpRepository, SpeedPredictionRepository } from '@platform/clickhouse-store';
import { type SpeedPrediction } from '@platform/domain';
import { type EventStream } from '@platform/event-stream';
import { type ModelManifest } from '@platform/model-package';
import { type TfjsModelRuntime } from '@platform/tfjs-runtime';
import { CatchUpScoring } from '../catch-up';
import { IngestFeatureEvents } from '../ingest-feature-events';
import { PredictionTopics } from '../prediction-topics';
import { ServingModelCatalog } from '../serving-model-catalog';
import { DeadLetterTopic, SpeedConsumer, type SpeedConsumerDependencies, type SpeedConsumerOptions } from '../speed-consumer';

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
  const deadLetters = new DeadLetterTopic(stream, options.deadLetterTopic);
  const masterDataset = new FeatureEventRepository(store);
  const predictions = new SpeedPredictionRepository(store);
  const outputs = new PredictionTopics(stream, options.outputTopics ?? new Map(), () => catalog.manifests());
  const publishPredictions = (rows: readonly SpeedPrediction[]) => outputs.publish(rows);
  const ingest = new IngestFeatureEvents({
    servingModels: () => catalog.servingModels(),
    manifests: () => catalog.manifests(),
    masterDataset,
    predictions,
    publishPredictions,
    sendDeadLetters: (letters) => deadLetters.send(letters),
    allowedClockSkewMs: 60_000,
  });
  const consumer = new SpeedConsumer(
    {
      stream,
      ingest,
      catalog,
      catchUp: new CatchUpScoring({ masterDataset, predictions, publishPredictions, catchUps: new SpeedCatchUpRepository(store) }),
      deadLetters,
      outputs,
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
