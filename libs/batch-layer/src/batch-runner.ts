import { ClickHouseFeatureSource, ClickHouseRetentionStore, ClickHouseRunOutputStore } from '@platform/batch-clickhouse';
import { type ModelLoader, RecoverInterruptedRuns, RollbackRun, RunBatch, type RunLock, SweepRetention } from '@platform/batch-domain';
import { BatchRunRepository, type ClickHouseEngine, ServingPointerRepository } from '@platform/clickhouse-store';
import { PlatformError } from '@platform/domain';
import { type ModelRegistry, type ModelRuntime } from '@platform/model-package';

export class NoActiveModelVersionError extends PlatformError {
  readonly code = 'NO_ACTIVE_MODEL_VERSION';
  readonly retriable = false;
}

/** Loads a deployment's model: its pinned version, else the registry's active one. */
export function registryModelLoader(registry: ModelRegistry, runtime: ModelRuntime): ModelLoader {
  return async (model, version) => {
    const resolved = version ?? (await registry.active(model))?.version;
    if (resolved === undefined) {
      throw new NoActiveModelVersionError(
        `model ${model} has no active version: register and promote one (npm run models -- register <dir>; promote ${model} <version>)`,
      );
    }
    const described = await registry.describe(model, resolved);
    return runtime.load(described.package.packageDir);
  };
}

export interface BatchRunnerParts {
  readonly engine: ClickHouseEngine;
  readonly registry: ModelRegistry;
  readonly runtime: ModelRuntime;
  readonly lock: RunLock;
}

/** The batch run use case wired to ClickHouse, the model registry and the model runtime. */
export function createRunBatch(parts: BatchRunnerParts): RunBatch {
  return new RunBatch({
    source: new ClickHouseFeatureSource(parts.engine),
    output: new ClickHouseRunOutputStore(parts.engine),
    runs: new BatchRunRepository(parts.engine),
    pointers: new ServingPointerRepository(parts.engine),
    loadModel: registryModelLoader(parts.registry, parts.runtime),
    lock: parts.lock,
  });
}

/** The start-up recovery of runs a killed process left behind, wired to ClickHouse. */
export function createRecoverInterruptedRuns(parts: Pick<BatchRunnerParts, 'engine' | 'lock'>): RecoverInterruptedRuns {
  return new RecoverInterruptedRuns({
    runs: new BatchRunRepository(parts.engine),
    output: new ClickHouseRunOutputStore(parts.engine),
    lock: parts.lock,
  });
}

/** Rollback to the previous kept published run, wired to ClickHouse. */
export function createRollbackRun(parts: Pick<BatchRunnerParts, 'engine'>): RollbackRun {
  return new RollbackRun({
    runs: new BatchRunRepository(parts.engine),
    pointers: new ServingPointerRepository(parts.engine),
    output: new ClickHouseRunOutputStore(parts.engine),
  });
}

/** The retention sweep, wired to ClickHouse. */
export function createSweepRetention(parts: Pick<BatchRunnerParts, 'engine'>): SweepRetention {
  return new SweepRetention({
    store: new ClickHouseRetentionStore(parts.engine),
    runs: new BatchRunRepository(parts.engine),
    output: new ClickHouseRunOutputStore(parts.engine),
  });
}
