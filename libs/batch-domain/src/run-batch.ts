import { randomBytes } from 'node:crypto';
import {
  buildVerificationReport,
  parseVerificationReport,
  RunAccumulator,
  type VerificationReport,
  verificationThresholds,
} from '@platform/batch-verification';
import { type StringColumn } from '@platform/columnar';
import {
  type BatchRunRecord,
  type BatchRunStatus,
  type CurrentRun,
  ENTITY_ID_MAX_BYTES,
  type EpochMs,
  PlatformError,
  type ServingPointer,
} from '@platform/domain';
import { type LoadedModel } from '@platform/model-package';
import { type Deployment } from './deployment';
import { type FeatureSource, type SourceChunk } from './feature-source';
import { runBoundedPipeline } from './bounded-pipeline';
import { assertLeaseHeld, type RunLease, type RunLock } from './run-lock';
import { type RejectedRow, type RunOutputStore, type SegmentAggregate } from './run-output';

/** The run log (ClickHouse `batch_runs`): a run's state is its latest record. */
export interface BatchRunLog {
  record(run: BatchRunRecord): Promise<void>;
  get(runId: string): Promise<BatchRunRecord | undefined>;
  list(model: string, limit?: number): Promise<BatchRunRecord[]>;
}

/** The serving pointer: publishing is one append. */
export interface ServingPointers {
  append(pointer: Omit<ServingPointer, 'at'>): Promise<ServingPointer>;
  current(model: string): Promise<ServingPointer | undefined>;
}

/** Loads the version a deployment runs: the pinned one, else the registry's active one. */
export type ModelLoader = (model: string, version: string | undefined) => Promise<LoadedModel>;

export interface RunBatchDependencies {
  readonly source: FeatureSource;
  readonly output: RunOutputStore;
  readonly runs: BatchRunLog;
  readonly pointers: ServingPointers;
  readonly loadModel: ModelLoader;
  readonly lock: RunLock;
  readonly clock?: () => EpochMs;
  readonly newRunId?: (model: string, now: EpochMs) => string;
}

export interface RunProgress {
  readonly runId: string;
  readonly rowsRead: number;
  readonly rowsTotal: number;
}

/** The stages of a run whose busy time is reported (metrics, profiles). */
export type RunStage = 'read' | 'score' | 'write' | 'verify' | 'publish';

export interface RunBatchCommand {
  readonly deployment: Deployment;
  /** Who started the run (a user, `scheduler`, ...), recorded on the pointer when it publishes. */
  readonly actor: string;
  /** Called once the run has its id and its `running` record, before any row is read. */
  readonly onStarted?: (run: BatchRunRecord) => void;
  readonly onProgress?: (progress: RunProgress) => void;
  /** Called after each timed step with its stage and duration in milliseconds. */
  readonly onStageTimed?: (stage: RunStage, milliseconds: number) => void;
  /** Cancels the run (e.g. on shutdown): it stops between chunks, is marked failed and dropped. */
  readonly signal?: AbortSignal;
}

/** The run was cancelled through its command's signal before it published. */
export class RunCancelledError extends PlatformError {
  readonly code = 'RUN_CANCELLED';
  readonly retriable = true;
}

export interface BatchRunResult {
  readonly run: BatchRunRecord;
  readonly report: VerificationReport;
  readonly published: boolean;
  /** Runs whose partitions were dropped because they fell out of the kept window. */
  readonly droppedRuns: readonly string[];
}

/** Rejected rows written to `batch_rejects` per run, at most (all are counted in the report). */
export const REJECTS_STORED_PER_RUN = 10_000;

function defaultRunId(model: string, now: EpochMs): string {
  const stamp = new Date(now).toISOString().replace(/[-:.]/g, '').replace('T', '-').replace('Z', '');
  return `${model}-${stamp}-${randomBytes(3).toString('hex')}`;
}

interface ChunkOutcome {
  readonly scored: { readonly rowCount: number; readonly entityIds: StringColumn; readonly outputs: Float32Array; readonly segments: Record<string, StringColumn> };
  readonly rejects: RejectedRow[];
}

function idBytes(ids: StringColumn, row: number): Uint8Array {
  return ids.bytes.subarray(ids.offsets[row], ids.offsets[row + 1]);
}

/** Keeps the rows of a string column whose index is in `rows`, copying their bytes once. */
function pickStrings(column: StringColumn, rows: readonly number[]): StringColumn {
  const offsets = new Int32Array(rows.length + 1);
  rows.forEach((row, index) => (offsets[index + 1] = offsets[index]! + (column.offsets[row + 1]! - column.offsets[row]!)));
  const bytes = new Uint8Array(offsets[rows.length]!);
  rows.forEach((row, index) => bytes.set(idBytes(column, row), offsets[index]));
  return { kind: 'string', offsets, bytes };
}

/**
 * One batch run of a deployment: fix the snapshot, stream it through the model into the run's
 * partition, verify, and publish only when every gate passes. A failed run keeps its report, its
 * partitions are dropped, and the previous run keeps serving. Runs beyond the kept window are
 * dropped by partition, never the current one.
 */
export class RunBatch {
  private readonly clock: () => EpochMs;
  private readonly newRunId: (model: string, now: EpochMs) => string;

  constructor(private readonly deps: RunBatchDependencies) {
    this.clock = deps.clock ?? Date.now;
    this.newRunId = deps.newRunId ?? defaultRunId;
  }

  /** Throws RunInProgressError when a run of the model is already under way. */
  async execute(command: RunBatchCommand): Promise<BatchRunResult> {
    const lease = await this.deps.lock.acquire(command.deployment.model);
    try {
      return await this.run(command, lease);
    } finally {
      await lease.release();
    }
  }

  private async run(command: RunBatchCommand, lease: RunLease): Promise<BatchRunResult> {
    const { deployment } = command;
    const assertMayContinue = (): void => {
      assertLeaseHeld(lease, deployment.model);
      if (command.signal?.aborted === true) {
        throw new RunCancelledError(`run of model ${deployment.model} cancelled: ${String(command.signal.reason ?? 'no reason given')}`);
      }
    };
    const timed = async <T>(stage: RunStage, step: () => Promise<T>): Promise<T> => {
      const startedAt = performance.now();
      try {
        return await step();
      } finally {
        command.onStageTimed?.(stage, performance.now() - startedAt);
      }
    };
    const model = await this.deps.loadModel(deployment.model, deployment.modelVersion);
    const startedAt = this.clock();
    const snapshot = await this.deps.source.snapshot(deployment, model.manifest, startedAt);
    const runId = this.newRunId(deployment.model, startedAt);
    const base: BatchRunRecord = {
      runId,
      model: deployment.model,
      modelVersion: model.manifest.version,
      status: 'running',
      startedAt,
      finishedAt: 0,
      updatedAt: startedAt,
      rows: 0,
      dataCutoff: snapshot.dataCutoff,
      report: '',
      error: '',
    };
    await this.deps.runs.record(base);
    command.onStarted?.(base);
    command.onProgress?.({ runId, rowsRead: 0, rowsTotal: snapshot.rowCount });
    try {
      const reference = await this.referenceReport(deployment.model);
      const accumulator = new RunAccumulator(model.manifest, { reference, segmentColumns: deployment.segmentColumns });
      let rowsRead = 0;
      let rejectsStored = 0;
      const source = this.deps.source.read(deployment, model.manifest, snapshot);
      // Read, score and write overlap: the source is read ahead while a chunk scores, and written
      // behind while the next one scores.
      await runBoundedPipeline(
        timedChunks(source, (milliseconds) => command.onStageTimed?.('read', milliseconds)),
        async (chunk) => {
          assertMayContinue();
          const scoring = timed('score', () => this.scoreChunk(model, chunk));
          // The source's histograms fill while a scoring thread scores.
          try {
            accumulator.observeSource(chunk);
          } catch (error) {
            await scoring; // a scoring error comes first
            throw error;
          }
          const outcome = await scoring;
          accumulator.observeScored(outcome.scored);
          accumulator.observeRejects(outcome.rejects);
          return { rowCount: chunk.rowCount, outcome };
        },
        async ({ rowCount, outcome }) => {
          await timed('write', async () => {
            const { segments, ...scored } = outcome.scored;
            const segmentValues = deployment.segmentColumns.map((column) => segments[column]!);
            await this.deps.output.writePredictions(deployment.model, runId, { ...scored, outputCount: model.manifest.outputs.length, segmentValues }, this.clock());
            // A broken source can reject every row: the report counts them all, the table keeps a sample.
            const stored = outcome.rejects.slice(0, Math.max(0, REJECTS_STORED_PER_RUN - rejectsStored));
            rejectsStored += stored.length;
            await this.deps.output.writeRejects(deployment.model, runId, stored);
          });
          rowsRead += rowCount;
          command.onProgress?.({ runId, rowsRead, rowsTotal: snapshot.rowCount });
        },
        deployment.pipelineDepth,
      );
      await this.deps.runs.record({ ...base, status: 'verifying', rows: rowsRead, updatedAt: this.nextTime(base) });
      const report = await timed('verify', async () => {
        const built = buildVerificationReport({
          runId,
          model: deployment.model,
          modelVersion: model.manifest.version,
          sourceRowCount: snapshot.rowCount,
          observations: accumulator.observations(),
          thresholds: verificationThresholds(model.manifest, { ...deployment.verification, maxRejectRate: deployment.errorThreshold }),
          reference,
        });
        await this.deps.output.writeSegmentAggregates(deployment.model, runId, deployment.segmentColumns, this.segmentAggregates(built, model));
        return built;
      });
      if (!report.passed) return await this.fail(base, report, rowsRead);
      assertMayContinue();
      return await timed('publish', () => this.publish(base, report, rowsRead, command.actor, deployment.runsToKeep));
    } catch (error) {
      await this.deps.runs.record({ ...base, status: 'failed', finishedAt: this.clock(), updatedAt: this.nextTime(base), error: errorText(error) });
      await this.deps.output.dropRun(runId, { keepRejects: true });
      throw error;
    } finally {
      model.dispose();
    }
  }

  private async scoreChunk(model: LoadedModel, chunk: SourceChunk): Promise<ChunkOutcome> {
    const result = await model.score(chunk.features, chunk.rowCount);
    const rejected = new Map<number, RejectedRow>();
    const { offsets } = chunk.entityIds;
    // Read once: an imported binding is a getter call on every access once compiled to CommonJS.
    const maxIdBytes = ENTITY_ID_MAX_BYTES;
    for (let row = 0; row < chunk.rowCount; row++) {
      if (offsets[row + 1]! - offsets[row]! > maxIdBytes) {
        rejected.set(row, { entityId: idBytes(chunk.entityIds, row), reason: 'id-too-long', feature: '' });
      }
    }
    for (const rejection of result.rejections) {
      if (!rejected.has(rejection.row)) {
        rejected.set(rejection.row, { entityId: idBytes(chunk.entityIds, rejection.row), reason: rejection.reason, feature: rejection.feature });
      }
    }
    if (rejected.size === 0) {
      return { scored: { rowCount: chunk.rowCount, entityIds: chunk.entityIds, outputs: result.outputs, segments: { ...chunk.segments } }, rejects: [] };
    }
    const kept: number[] = [];
    for (let row = 0; row < chunk.rowCount; row++) if (!rejected.has(row)) kept.push(row);
    const width = model.manifest.outputs.length;
    const outputs = new Float32Array(kept.length * width);
    kept.forEach((row, index) => outputs.set(result.outputs.subarray(row * width, (row + 1) * width), index * width));
    const segments: Record<string, StringColumn> = {};
    for (const [name, column] of Object.entries(chunk.segments)) segments[name] = pickStrings(column, kept);
    return {
      scored: { rowCount: kept.length, entityIds: pickStrings(chunk.entityIds, kept), outputs, segments },
      rejects: [...rejected.values()],
    };
  }

  /** The current run's report: this run's PSI reference and its bin edges. */
  private async referenceReport(model: string): Promise<VerificationReport | null> {
    const current = await this.deps.pointers.current(model);
    if (current === undefined) return null;
    const run = await this.deps.runs.get(current.runId);
    return run === undefined || run.report === '' ? null : parseVerificationReport(run.report, `run ${run.runId}`);
  }

  private segmentAggregates(report: VerificationReport, model: LoadedModel): SegmentAggregate[] {
    return report.segments.groups.map((group) => ({
      segmentValues: group.values.map(String),
      rowCount: group.count,
      outputMeans: model.manifest.outputs.map((output) => group.outputMeans[output.name] ?? NaN),
    }));
  }

  private async publish(base: BatchRunRecord, report: VerificationReport, rows: number, actor: string, runsToKeep: number): Promise<BatchRunResult> {
    const current: CurrentRun = { runId: base.runId, modelVersion: base.modelVersion, dataCutoff: base.dataCutoff };
    await this.deps.pointers.append({ model: base.model, ...current, action: 'publish', actor });
    const run = await this.finish(base, 'published', report, rows, '');
    return { run, report, published: true, droppedRuns: await this.dropOutsideWindow(base.model, base.runId, runsToKeep) };
  }

  private async fail(base: BatchRunRecord, report: VerificationReport, rows: number): Promise<BatchRunResult> {
    const failed = report.gates.filter((gate) => !gate.passed).map((gate) => gate.name);
    const run = await this.finish(base, 'failed', report, rows, `verification failed: ${failed.join(', ')}`);
    await this.deps.output.dropRun(base.runId, { keepRejects: true });
    return { run, report, published: false, droppedRuns: [base.runId] };
  }

  private async finish(base: BatchRunRecord, status: BatchRunStatus, report: VerificationReport, rows: number, error: string): Promise<BatchRunRecord> {
    const finishedAt = this.clock();
    const run: BatchRunRecord = { ...base, status, rows, finishedAt, updatedAt: Math.max(finishedAt, base.updatedAt + 2), report: JSON.stringify(report), error };
    await this.deps.runs.record(run);
    return run;
  }

  /** Keeps the `runsToKeep` newest published runs (the current one among them); drops the rest. */
  private async dropOutsideWindow(model: string, currentRunId: string, runsToKeep: number): Promise<string[]> {
    const runs = await this.deps.runs.list(model, 1_000);
    const kept = new Set(
      runs
        .filter((run) => run.status === 'published')
        .slice(0, runsToKeep)
        .map((run) => run.runId),
    );
    kept.add(currentRunId);
    const ownRuns = new Set(runs.map((run) => run.runId));
    const dropped: string[] = [];
    for (const runId of await this.deps.output.storedRuns()) {
      if (ownRuns.has(runId) && !kept.has(runId)) {
        await this.deps.output.dropRun(runId);
        dropped.push(runId);
      }
    }
    return dropped;
  }

  /** State records of one run must be ordered; the clock may not have moved. */
  private nextTime(base: BatchRunRecord): EpochMs {
    return Math.max(this.clock(), base.updatedAt + 1);
  }
}

/** The source's chunks, reporting how long each one took to arrive. */
async function* timedChunks(source: AsyncIterable<SourceChunk>, onChunkTimed: (milliseconds: number) => void): AsyncGenerator<SourceChunk> {
  const chunks = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const startedAt = performance.now();
      const next = await chunks.next();
      onChunkTimed(performance.now() - startedAt);
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    // Closes the source stream when the pipeline stops early (an error, a lost lease).
    await chunks.return?.();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
