import { setTimeout as sleep } from 'node:timers/promises';
import { type ServingPointerRepository } from '@platform/clickhouse-store';
import { type EpochMs, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import { BatchRunTableBuilder, ColdStartFallback, ModelServingState, type ServingState } from '@platform/query-domain';
import { type ServingStateReader } from './serving-state-reader';
import { type SpeedRowSourceFactory, SpeedTail } from './speed-tail';

/** pino-compatible: structured fields first, then the message. */
export interface QueryLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface ServingStateSyncOptions {
  /** How often the serving pointer is read for publishes and rollbacks. */
  readonly pointerPollMs: number;
  /** How often each model's speed rows are tailed: bounds how stale a speed answer is. */
  readonly speedPollMs: number;
  /** How far back each tail poll re-reads (rows become visible out of scored-at order). */
  readonly speedOverlapMs: number;
  /** Bytes every model's serving state may take together. */
  readonly stateMaxBytes: number;
  /** Where each new state's tail takes its speed rows from (the output topic); the store's poll when absent. */
  readonly speedRowSources?: SpeedRowSourceFactory;
}

/** Hooks for metrics and live feeds. */
export interface ServingStateObserver {
  stateInstalled(state: ModelServingState, loadMs: number): void;
  speedChanged(state: ModelServingState, rows: readonly SpeedPrediction[]): void;
}

function sameRun(a: ServingPointer, b: ServingPointer): boolean {
  return a.runId === b.runId && a.modelVersion === b.modelVersion && a.dataCutoff === b.dataCutoff;
}

/**
 * Keeps the serving state in step with ClickHouse: polls the serving pointer and, when a model's
 * current run changes (publish or rollback), loads the new run in bulk with its eligible speed rows
 * and segment aggregates aside, then installs it in one swap; meanwhile, and after, it tails each
 * model's speed rows. A load that fails (store down, over the memory budget) leaves the model on
 * the state it had and is retried on the next pointer poll. Ready once every model with a pointer
 * has been loaded once; a restart rebuilds everything from the store.
 */
export class ServingStateSync {
  private readonly tails = new Map<string, SpeedTail>();
  private readonly running: Promise<void>[] = [];
  private readonly stopping = new AbortController();
  private built = false;

  constructor(
    private readonly serving: ServingState,
    private readonly pointers: ServingPointerRepository,
    private readonly reader: ServingStateReader,
    private readonly options: ServingStateSyncOptions,
    private readonly log: QueryLog,
    private readonly observers: readonly ServingStateObserver[] = [],
    private readonly now: () => EpochMs = Date.now,
  ) {}

  /** True once every model with a published run has a serving state. */
  get ready(): boolean {
    return this.built;
  }

  /** Loads every model's current run once, then keeps polling in the background. */
  async start(): Promise<void> {
    await this.syncPointers().catch((error: unknown) => this.log.warn({ err: error }, 'serving state: first load failed; retrying'));
    this.running.push(
      this.loop(this.options.pointerPollMs, () => this.syncPointers()),
      this.loop(this.options.speedPollMs, () => this.tailSpeedRows()),
    );
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all(this.running);
  }

  /** Installs a new state for every model whose current run changed. */
  async syncPointers(): Promise<void> {
    const current = await this.pointers.currentAll();
    let allLoaded = true;
    for (const pointer of current) {
      const installed = this.serving.get(pointer.model);
      if (installed !== undefined && sameRun(installed.pointer, pointer)) continue;
      try {
        await this.load(pointer);
      } catch (error) {
        allLoaded = false;
        this.log.error(
          { err: error, model: pointer.model, runId: pointer.runId },
          `serving state: loading run ${pointer.runId} of model ${pointer.model} failed; ` +
            (installed === undefined ? 'the model is not served yet' : `still serving run ${installed.pointer.runId}`),
        );
      }
    }
    if (allLoaded) this.built = true;
  }

  /** One tail poll of every model. */
  async tailSpeedRows(): Promise<void> {
    for (const tail of [...this.tails.values()]) {
      const changed = await tail.poll(this.now);
      if (changed.length > 0) for (const observer of this.observers) observer.speedChanged(tail.state, changed);
    }
  }

  private async load(pointer: ServingPointer): Promise<void> {
    const startedAt = this.now();
    const builder = new BatchRunTableBuilder(pointer.model, pointer.runId, {
      limitBytes: this.options.stateMaxBytes,
      usedElsewhereBytes: this.serving.estimatedBytesExcept(pointer.model),
    });
    await this.reader.readRun(pointer, builder);
    const table = builder.build();
    const aggregates = await this.reader.readSegmentAggregates(pointer);
    const state = new ModelServingState(pointer, table, new ColdStartFallback(aggregates, table.meanOutputs()), startedAt);
    const tail = new SpeedTail(state, this.options.speedRowSources?.(pointer.model, this.reader) ?? this.reader, this.options.speedOverlapMs);
    await tail.poll(this.now);
    this.serving.install(state);
    this.tails.set(pointer.model, tail);
    const loadMs = this.now() - startedAt;
    for (const observer of this.observers) observer.stateInstalled(state, loadMs);
    this.log.info(
      {
        model: pointer.model,
        runId: pointer.runId,
        modelVersion: pointer.modelVersion,
        action: pointer.action,
        rows: table.rowCount,
        duplicateRows: builder.duplicateRows,
        speedWinners: state.speed.size,
        segments: aggregates.length,
        estimatedBytes: state.estimatedBytes,
        loadMs,
      },
      `serving state: run ${pointer.runId} of model ${pointer.model} installed`,
    );
  }

  private async loop(intervalMs: number, step: () => Promise<void>): Promise<void> {
    const { signal } = this.stopping;
    while (!signal.aborted) {
      await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return;
      await step().catch((error: unknown) => this.log.warn({ err: error }, 'serving state: poll failed; retrying'));
    }
  }
}
