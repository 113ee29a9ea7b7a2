import { type RunLock } from '@platform/batch-domain';
import { AuditLogRepository, BatchRunRepository, type ClickHouseEngine, ModelRegistryRepository, ServingPointerRepository } from '@platform/clickhouse-store';
import { type EventStream } from '@platform/event-stream';
import { ModelRegistry } from '@platform/model-package';
import { DirectoryModelPackageStore } from '@platform/model-store';
import { type PlatformConfig } from '@platform/platform-config';
import { TfjsModelRuntime } from '@platform/tfjs-runtime';
import { type Logger } from 'pino';
import { BatchOperations, type RunObserver } from './batch-operations';
import { createRecoverInterruptedRuns, createRollbackRun, createRunBatch, createSweepRetention } from './batch-runner';
import { readDeploymentsFile } from './deployments-file';
import { FileRunLock } from './file-run-lock';
import { createRunLockTopic, KafkaRunLock } from './kafka-run-lock';

export interface BatchLayerParts {
  readonly engine: ClickHouseEngine;
  readonly config: PlatformConfig;
  /** Null in embedded mode: runs are then coordinated through file locks. */
  readonly eventStream: EventStream | null;
  readonly log: Logger;
  readonly observer?: RunObserver;
}

export interface BatchLayer {
  readonly operations: BatchOperations;
  readonly runtime: TfjsModelRuntime;
}

/** With Kafka, runs are coordinated through its groups (any number of processes); else file locks. */
async function runLockFor({ config, eventStream }: BatchLayerParts): Promise<RunLock> {
  if (eventStream === null) return new FileRunLock(config.runLockDir);
  await createRunLockTopic(eventStream, config.batchControlTopic);
  return new KafkaRunLock(eventStream, config.batchControlTopic, config.kafka?.clientId ?? 'lambda-platform');
}

/**
 * Batch runs score 65,536-row chunks on a worker thread: the main thread reads, verifies and writes
 * the neighbouring chunks meanwhile (measured in bench/ batch-throughput).
 */
export const BATCH_SCORING_THREAD = 'worker';

/**
 * The batch layer's operations wired to ClickHouse, the model registry, TensorFlow and the run
 * lock: what the service, the all-in-one process and the CLI share.
 */
export async function createBatchLayer(parts: BatchLayerParts): Promise<BatchLayer> {
  const { engine, config, log } = parts;
  const deployments = await readDeploymentsFile(config.deploymentsFile);
  const lock = await runLockFor(parts);
  const runtime = await TfjsModelRuntime.create({ logger: log, scoringThread: BATCH_SCORING_THREAD });
  const registry = new ModelRegistry(new ModelRegistryRepository(engine), new DirectoryModelPackageStore(config.modelStoreDir));
  log.info({ deployments: deployments.map((d) => d.model), lock: lock.constructor.name, backend: runtime.backend }, 'batch layer ready');
  const operations = new BatchOperations({
    deployments,
    runBatch: createRunBatch({ engine, registry, runtime, lock }),
    rollbackRun: createRollbackRun({ engine }),
    recoverInterruptedRuns: createRecoverInterruptedRuns({ engine, lock }),
    retention: createSweepRetention({ engine }),
    retentionWindows: config.retention.windows,
    runs: new BatchRunRepository(engine),
    pointers: new ServingPointerRepository(engine),
    audit: new AuditLogRepository(engine),
    log,
    ...(parts.observer === undefined ? {} : { observer: parts.observer }),
  });
  return { operations, runtime };
}
