import { PlatformError, type ServingPointer } from '@platform/domain';
import { type BatchRunLog, type ServingPointers } from './run-batch';
import { type RunOutputStore } from './run-output';

export class NothingToRollBackError extends PlatformError {
  readonly code = 'NOTHING_TO_ROLL_BACK';
  readonly retriable = false;
}

export interface RollbackRunDependencies {
  readonly runs: BatchRunLog;
  readonly pointers: ServingPointers;
  readonly output: RunOutputStore;
}

/**
 * Makes the published run before the current one current again: one pointer row. Only runs whose
 * partition is still kept qualify; rolling back twice walks further back.
 */
export class RollbackRun {
  constructor(private readonly deps: RollbackRunDependencies) {}

  async execute(model: string, actor: string): Promise<ServingPointer> {
    const current = await this.deps.pointers.current(model);
    if (current === undefined) throw new NothingToRollBackError(`model ${model} has no published run`);
    const runs = await this.deps.runs.list(model, 1_000);
    const currentRun = runs.find((run) => run.runId === current.runId);
    const stored = new Set(await this.deps.output.storedRuns());
    const previous = runs.find(
      (run) =>
        run.status === 'published' &&
        run.runId !== current.runId &&
        stored.has(run.runId) &&
        (currentRun === undefined || run.startedAt < currentRun.startedAt),
    );
    if (previous === undefined) {
      throw new NothingToRollBackError(`model ${model} has no kept published run older than ${current.runId}`);
    }
    return this.deps.pointers.append({
      model,
      runId: previous.runId,
      modelVersion: previous.modelVersion,
      dataCutoff: previous.dataCutoff,
      action: 'rollback',
      actor,
    });
  }
}
