import { type ClickHouseEngine, FeatureEventRepository, SpeedCatchUpRepository } from '@platform/clickhouse-store';
import { type EventStream } from '@platform/event-stream';
import { CatchUpScoring } from './catch-up';
import { IngestFeatureEvents } from './ingest-feature-events';
import { PredictionTopics } from './prediction-topics';
import { type ScoredEvents } from './event-scorer';
import { type ServingModelCatalog } from './serving-model-catalog';
import { SpeedTableWrites } from './speed-table-writes';
import { DeadLetterTopic, SpeedConsumer, type SpeedConsumerDependencies, type SpeedConsumerOptions, type SpeedLog } from './speed-consumer';

export interface SpeedConsumerParts {
  readonly engine: ClickHouseEngine;
  readonly stream: EventStream;
  readonly catalog: ServingModelCatalog;
  readonly deadLetterTopic: string;
  /** Model → output topic; empty for none. */
  readonly outputTopics: ReadonlyMap<string, string>;
  readonly allowedClockSkewMs: number;
  readonly log: SpeedLog;
  readonly onBatch?: SpeedConsumerDependencies['onBatch'];
  readonly onCatchUp?: SpeedConsumerDependencies['onCatchUp'];
}

/**
 * The speed layer's consumer wired to ClickHouse and the event stream: ingest, catch-up, dead
 * letters and output topics sharing one writer of the speed tables. What the service, the tests and the
 * benchmark run.
 */
export function createSpeedConsumer(parts: SpeedConsumerParts, options: SpeedConsumerOptions): SpeedConsumer {
  const { engine, stream, catalog } = parts;
  const writes = new SpeedTableWrites(engine);
  const deadLetters = new DeadLetterTopic(stream, parts.deadLetterTopic);
  const outputs = new PredictionTopics(stream, parts.outputTopics, () => catalog.manifests());
  const publishPredictions = (scored: readonly ScoredEvents[]) => outputs.publish(scored);
  const ingest = new IngestFeatureEvents({
    servingModels: () => catalog.servingModels(),
    manifests: () => catalog.manifests(),
    masterDataset: writes,
    predictions: writes,
    publishPredictions,
    sendDeadLetters: (letters) => deadLetters.send(letters),
    allowedClockSkewMs: parts.allowedClockSkewMs,
  });
  const catchUp = new CatchUpScoring({
    masterDataset: new FeatureEventRepository(engine),
    predictions: writes,
    publishPredictions,
    catchUps: new SpeedCatchUpRepository(engine),
  });
  return new SpeedConsumer(
    {
      stream,
      ingest,
      catalog,
      catchUp,
      deadLetters,
      outputs,
      log: parts.log,
      ...(parts.onBatch === undefined ? {} : { onBatch: parts.onBatch }),
      ...(parts.onCatchUp === undefined ? {} : { onCatchUp: parts.onCatchUp }),
    },
    options,
  );
}
