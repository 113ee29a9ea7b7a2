import {
  type BatchRunLog,
  type BatchRunResult,
  type Deployment,
  estimateProgress,
  type ProgressEstimate,
  type RecoverInterruptedRuns,
  type RetentionOutcome,
  type RetentionWindows,
  type RollbackRun,
  type RunBatch,
  RunCancelledError,
  RunInProgressError,
  type RunProgress,
  type RunStage,
  type ServingPointers,
  type SweepRetention,
} from '@platform/batch-domain';
import { type AuditEntry, type AuditLog, type AuditOutcome, type BatchRunRecord, PlatformError, type ServingPointer } from '@platform/domain';

export class UnknownDeploymentError extends PlatformError {
  readonly code = 'UNKNOWN_DEPLOYMENT';
  readonly retriable = false;
}

export class RunNotFoundError extends PlatformError {
  readonly code = 'RUN_NOT_FOUND';
  readonly retriable = false;
}

/** A run that started but did not publish (verification failed or it broke). */
export class RunFailedError extends PlatformError {
  readonly code = 'RUN_FAILED';
  readonly retriable = false;
}

/** pino-compatible: structured fields first, then the message. */
export interface OperationsLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  child(bindings: Record<string, unknown>): OperationsLog;
}

/** Hooks for metrics; every method is called with the run's model. */
export interface RunObserver {
  started(run: BatchRunRecord): void;
  progressed(model: string, rowsDelta: number): void;
  stageTimed(model: string, stage: RunStage, milliseconds: number): void;
  finished(model: string, outcome: 'published' | 'failed', durationMs: number): void;
}

/** A run in flight, as the admin API shows it. */
export interface RunInFlight {
  readonly run: BatchRunRecord;
  readonly trigger: string;
  readonly rowsRead: number;
  readonly rowsTotal: number;
  readonly estimate: ProgressEstimate;
}

export interface BatchOperationsDependencies {
  readonly deployments: readonly Deployment[];
  readonly runBatch: Pick<RunBatch, 'execute'>;
  readonly rollbackRun: Pick<RollbackRun, 'execute'>;
  readonly recoverInterruptedRuns: Pick<RecoverInterruptedRuns, 'execute'>;
  readonly retention: Pick<SweepRetention, 'sweep'>;
  readonly retentionWindows: RetentionWindows;
  readonly runs: BatchRunLog;
  readonly pointers: ServingPointers;
  readonly audit: AuditLog;
  readonly log: OperationsLog;
  readonly observer?: RunObserver;
}

const PROGRESS_LOG_INTERVAL_MS = 5_000;

/** One run this process started, from its start until it publishes or fails. */
class TrackedRun {
  readonly startedAtMs = performance.now();
  readonly cancel = new AbortController();
  private markStarted!: () => void;
  /** Resolves when the run has its record (never rejects: a run that cannot start rejects `execute`). */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));
  private record: BatchRunRecord | undefined;
  private markStartAudited!: () => void;
  /** The end of a run is audited after its start, even when it ends at once. */
  readonly startAudited = new Promise<void>((resolve) => (this.markStartAudited = resolve));
  progress: RunProgress = { runId: '', rowsRead: 0, rowsTotal: 0 };
  lastProgressLogAt = performance.now();
  /** The result when it published or failed verification; undefined when it broke. */
  done: Promise<BatchRunResult | undefined> = Promise.resolve(undefined);

  constructor(
    readonly trigger: string,
    readonly actor: string,
  ) {}

  get run(): BatchRunRecord | undefined {
    return this.record;
  }

  begin(run: BatchRunRecord): void {
    this.record = run;
    this.markStarted();
  }

  startWasAudited(): void {
    this.markStartAudited();
  }
}

function progressOf(flight: TrackedRun, run: BatchRunRecord): RunInFlight {
  const { trigger, progress } = flight;
  return { run, trigger, rowsRead: progress.rowsRead, rowsTotal: progress.rowsTotal, estimate: estimateProgress(progress, performance.now() - flight.startedAtMs) };
}

/** Refused before it ran (in use, unknown, not allowed) or failed trying (engine down, a bug). */
function refusalOutcome(error: unknown): AuditOutcome {
  return error instanceof RunInProgressError || (error instanceof PlatformError && !error.retriable) ? 'rejected' : 'failed';
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The batch layer's operations as every trigger (admin API, cron, CLI, start-up) uses them: start a
 * run and follow it, list and read runs, roll back, recover after a crash. Starts, rollbacks,
 * recoveries and each started run's end (published or failed) leave an audit row (who, what, when,
 * outcome), refusals included; every log line of a run carries its run id and model.
 */
export class BatchOperations {
  private readonly inFlight = new Map<string, TrackedRun>();

  constructor(private readonly deps: BatchOperationsDependencies) {}

  get deployments(): readonly Deployment[] {
    return this.deps.deployments;
  }

  deployment(model: string): Deployment {
    const deployment = this.deps.deployments.find((candidate) => candidate.model === model);
    if (deployment === undefined) {
      throw new UnknownDeploymentError(`no deployment of model ${JSON.stringify(model)} (deployed: ${this.deps.deployments.map((d) => d.model).join(', ') || 'none'})`);
    }
    return deployment;
  }

  /**
   * Starts a run and resolves once it has its id and `running` record; the run goes on in the
   * background. Rejects, with an audit row, when it cannot start: RunInProgressError while another
   * run of the model is under way, an unknown model, or why the model cannot load.
   */
  async startRun(model: string, actor: string, trigger: string): Promise<BatchRunRecord> {
    return (await this.launch(model, actor, trigger)).run!;
  }

  private async launch(model: string, actor: string, trigger: string): Promise<TrackedRun> {
    const flight = new TrackedRun(trigger, actor);
    try {
      const deployment = this.deployment(model);
      let lastRows = 0;
      const execution = this.deps.runBatch.execute({
        deployment,
        actor,
        signal: flight.cancel.signal,
        onStarted: (run) => {
          flight.begin(run);
          this.inFlight.set(model, flight);
          this.deps.observer?.started(run);
          this.runLog(run).info({ trigger, actor, modelVersion: run.modelVersion, dataCutoff: run.dataCutoff }, 'run started');
        },
        onProgress: (progress) => {
          flight.progress = progress;
          this.logProgress(flight);
          this.deps.observer?.progressed(model, progress.rowsRead - lastRows);
          lastRows = progress.rowsRead;
        },
        onStageTimed: (stage, milliseconds) => this.deps.observer?.stageTimed(model, stage, milliseconds),
      });
      flight.done = execution.then(
        (result) => this.finished(result, flight),
        (error: unknown) => this.broke(error, flight),
      );
      // onStarted runs before the run can end, so a settled run here means it never started.
      await Promise.race([flight.started, execution]);
    } catch (error) {
      await this.audit({ actor, action: 'run.start', model, target: '', outcome: refusalOutcome(error), detail: JSON.stringify({ trigger, error: errorText(error) }) });
      throw error;
    }
    await this.audit({ actor, action: 'run.start', model, target: flight.run!.runId, outcome: 'accepted', detail: JSON.stringify({ trigger }) });
    flight.startWasAudited();
    return flight;
  }

  /** Starts a run and waits for its outcome (CLI, start-up, cron). */
  async runToCompletion(model: string, actor: string, trigger: string, onProgress?: (flight: RunInFlight) => void): Promise<BatchRunResult> {
    const flight = await this.launch(model, actor, trigger);
    const run = flight.run!;
    const report = (): void => onProgress?.(progressOf(flight, run));
    const timer = onProgress === undefined ? undefined : setInterval(report, 250);
    try {
      const result = await flight.done;
      if (result === undefined) {
        const failed = await this.deps.runs.get(run.runId);
        throw new RunFailedError(`run ${run.runId} of model ${model} failed: ${failed?.error ?? 'unknown error'}`);
      }
      return result;
    } finally {
      if (timer !== undefined) clearInterval(timer);
      // The last word is where the run ended, whenever the interval last fired.
      report();
    }
  }

  progress(model: string): RunInFlight | undefined {
    const flight = this.inFlight.get(model);
    return flight?.run === undefined ? undefined : progressOf(flight, flight.run);
  }

  async listRuns(model: string, limit: number): Promise<BatchRunRecord[]> {
    this.deployment(model);
    return this.deps.runs.list(model, limit);
  }

  async getRun(model: string, runId: string): Promise<BatchRunRecord> {
    this.deployment(model);
    const run = await this.deps.runs.get(runId);
    if (run === undefined || run.model !== model) throw new RunNotFoundError(`model ${model} has no run ${JSON.stringify(runId)}`);
    return run;
  }

  async currentRun(model: string): Promise<ServingPointer | undefined> {
    this.deployment(model);
    return this.deps.pointers.current(model);
  }

  async rollback(model: string, actor: string): Promise<ServingPointer> {
    try {
      this.deployment(model);
      const pointer = await this.deps.rollbackRun.execute(model, actor);
      await this.audit({ actor, action: 'run.rollback', model, target: pointer.runId, outcome: 'accepted', detail: '' });
      this.deps.log.info({ model, runId: pointer.runId, actor }, 'rolled back');
      return pointer;
    } catch (error) {
      await this.audit({ actor, action: 'run.rollback', model, target: '', outcome: refusalOutcome(error), detail: JSON.stringify({ error: errorText(error) }) });
      throw error;
    }
  }

  /**
   * At start-up: runs a killed process left behind are marked failed and dropped. A model whose
   * lock another process holds is skipped: that process is running it, nothing was left behind.
   */
  async recover(): Promise<BatchRunRecord[]> {
    const recovered: BatchRunRecord[] = [];
    for (const { model } of this.deps.deployments) {
      let interrupted: BatchRunRecord[];
      try {
        interrupted = await this.deps.recoverInterruptedRuns.execute(model);
      } catch (error) {
        if (!(error instanceof RunInProgressError)) throw error;
        this.deps.log.info({ model }, 'recovery skipped: another process is running the model');
        continue;
      }
      for (const run of interrupted) {
        this.runLog(run).warn({ error: run.error }, 'interrupted run marked failed, partitions dropped');
        await this.audit({ actor: 'system', action: 'run.recover', model, target: run.runId, outcome: 'accepted', detail: run.error });
        recovered.push(run);
      }
    }
    return recovered;
  }

  /** Drops superseded and expired partitions (see SweepRetention); audited when it dropped any. */
  async sweepRetention(actor: string): Promise<RetentionOutcome> {
    const outcome = await this.deps.retention.sweep(this.deps.retentionWindows);
    const dropped = outcome.speedPartitions.length + outcome.rejectRuns.length + outcome.auditPartitions.length;
    this.deps.log.info({ ...outcome, windows: this.deps.retentionWindows }, dropped === 0 ? 'retention sweep: nothing to drop' : 'retention sweep dropped partitions');
    if (dropped > 0) await this.audit({ actor, action: 'retention.sweep', model: '', target: '', outcome: 'accepted', detail: JSON.stringify(outcome) });
    return outcome;
  }

  /** Cancels the runs in flight (each is marked failed and dropped) and waits for them to stop. */
  async shutdown(reason: string): Promise<void> {
    const running = [...this.inFlight.values()];
    for (const flight of running) flight.cancel.abort(reason);
    await Promise.all(running.map((flight) => flight.done));
  }

  private async finished(result: BatchRunResult, flight: TrackedRun): Promise<BatchRunResult> {
    const { run, report } = result;
    const durationMs = performance.now() - flight.startedAtMs;
    this.inFlight.delete(run.model);
    this.deps.observer?.finished(run.model, result.published ? 'published' : 'failed', durationMs);
    const fields = { rows: run.rows, durationMs: Math.round(durationMs), passed: report.passed, droppedRuns: result.droppedRuns };
    if (result.published) this.runLog(run).info(fields, 'run published');
    else this.runLog(run).warn({ ...fields, error: run.error }, 'run failed verification; the previous run keeps serving');
    await flight.startAudited;
    await this.audit({
      actor: flight.actor,
      action: 'run.publish',
      model: run.model,
      target: run.runId,
      outcome: result.published ? 'accepted' : 'failed',
      detail: result.published ? JSON.stringify({ rows: run.rows, droppedRuns: result.droppedRuns }) : run.error,
    });
    return result;
  }

  private async broke(error: unknown, flight: TrackedRun): Promise<undefined> {
    const run = flight.run;
    // A run that never started was refused to its caller; only a started run is followed here.
    if (run === undefined) return undefined;
    this.inFlight.delete(run.model);
    this.deps.observer?.finished(run.model, 'failed', performance.now() - flight.startedAtMs);
    if (error instanceof RunCancelledError) this.runLog(run).warn({ reason: error.message }, 'run cancelled, partitions dropped');
    else this.runLog(run).error({ err: error }, 'run failed');
    await flight.startAudited;
    await this.audit({ actor: flight.actor, action: 'run.publish', model: run.model, target: run.runId, outcome: 'failed', detail: errorText(error) });
    return undefined;
  }

  /** Long runs show progress in the log: a line every PROGRESS_LOG_INTERVAL_MS at most. */
  private logProgress(flight: TrackedRun): void {
    const now = performance.now();
    if (flight.run === undefined || now - flight.lastProgressLogAt < PROGRESS_LOG_INTERVAL_MS) return;
    flight.lastProgressLogAt = now;
    const { rowsRead, rowsTotal } = flight.progress;
    this.runLog(flight.run).info({ rowsRead, rowsTotal, ...estimateProgress(flight.progress, now - flight.startedAtMs) }, 'run progress');
  }

  private runLog(run: BatchRunRecord): OperationsLog {
    return this.deps.log.child({ model: run.model, runId: run.runId });
  }

  private async audit(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    try {
      await this.deps.audit.append(entry);
    } catch (error) {
      // The action happened; a lost audit row must be loud, not undo it.
      this.deps.log.error({ err: error, audit: entry }, 'audit row not written');
    }
  }
}
