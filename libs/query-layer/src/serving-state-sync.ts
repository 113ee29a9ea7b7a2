import { setTimeout as sleep } from 'node:timers/promises';
import { type ServingPointerRepository } from '@platform/clickhouse-store';
import { type EpochMs, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import {
  BatchRunTableBuilder,
  ColdStartFallback,
  InMemoryModelState,
  type ModelServingState,
  RunOutputMeans,
  type SegmentAggregate,
  ServingStateBudgetExceededError,
  type ServingState,
  StoreBackedModelState,
} from '@platform/query-domain';
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
  /** Bytes every model's serving state may take together; a run beyond it is served from the store. */
  readonly stateMaxBytes: number;
  /** Where each new state's tail takes its speed rows from (the output topic); the store's poll when absent. */
  readonly speedRowSources?: SpeedRowSourceFactory;
  /** Entities whose batch row a store-backed model remembers (LRU). */
  readonly storeBackedCacheEntries: number;
}

/** How long a store-backed model's summary (a few scans of the run in the store) is reused. */
const STORE_BACKED_SUMMARY_CACHE_MS = 5_000;

/** Hooks for metrics and live feeds. */
export interface ServingStateObserver {
  stateInstalled(state: ModelServingState, loadMs: number): void;
  speedChanged(state: ModelServingState, rows: readonly SpeedPrediction[]): void;
  /** A store-backed model's lookups: entities found in its cache, and entities read from the store. */
  cacheLookups?(model: string, hits: number, misses: number): void;
}

interface LoadedState {
  readonly state: ModelServingState;
  /** Rows whose entity id was already in the run (counted for a run held in memory). */
  readonly duplicateRows: number;
}

function sameRun(a: ServingPointer, b: ServingPointer): boolean {
  return a.runId === b.runId && a.modelVersion === b.modelVersion && a.dataCutoff === b.dataCutoff;
}

/**
 * Keeps the serving state in step with ClickHouse: polls the serving pointer and, when a model's
 * current run changes (publish or rollback), loads the new run in bulk with its eligible speed rows
 * and segment aggregates aside, then installs it in one swap; meanwhile, and after, it tails each
 * model's speed rows. A run over the memory budget is served from the store (StoreBackedModelState).
 * A load that fails (store down) leaves the model on the state it had and is retried on the next
 * pointer poll. Ready once every model with a pointer has been loaded once (in memory or
 * store-backed); a restart rebuilds everything from the store.
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
    const aggregates = await this.reader.readSegmentAggregates(pointer);
    const loaded = await this.loadInMemory(pointer, aggregates, startedAt).catch((error: unknown) => {
      if (!(error instanceof ServingStateBudgetExceededError)) throw error;
      this.log.warn(
        { model: pointer.model, runId: pointer.runId, reason: error.message },
        `serving state: run ${pointer.runId} of model ${pointer.model} is over the memory budget; serving it from the store`,
      );
      return this.loadStoreBacked(pointer, aggregates, startedAt);
    });
    const { state } = loaded;
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
        storeBacked: state.storeBacked,
        rows: state.batchRowCount,
        duplicateRows: loaded.duplicateRows,
        speedWinners: state.speed.size,
        segments: aggregates.length,
        estimatedBytes: state.estimatedBytes,
        loadMs,
      },
      `serving state: run ${pointer.runId} of model ${pointer.model} installed`,
    );
  }

  /** The whole run in memory; throws ServingStateBudgetExceededError as soon as it would outgrow the budget. */
  private async loadInMemory(pointer: ServingPointer, aggregates: readonly SegmentAggregate[], startedAt: EpochMs): Promise<LoadedState> {
    const builder = new BatchRunTableBuilder(pointer.model, pointer.runId, {
      limitBytes: this.options.stateMaxBytes,
      usedElsewhereBytes: this.serving.estimatedBytesExcept(pointer.model),
    });
    await this.reader.readRun(pointer, builder);
    const table = builder.build();
    const state = new InMemoryModelState(pointer, table, new ColdStartFallback(aggregates, table.meanOutputs()), startedAt);
    return { state, duplicateRows: builder.duplicateRows };
  }

  /**
   * A run over the budget: one more pass over it for its row count and mean outputs (the global
   * default), holding nothing else; its rows are then read from the store as they are asked for.
   */
  private async loadStoreBacked(pointer: ServingPointer, aggregates: readonly SegmentAggregate[], startedAt: EpochMs): Promise<LoadedState> {
    const means = new RunOutputMeans();
    await this.reader.readRun(pointer, means);
    const state = new StoreBackedModelState(
      pointer,
      means.rowCount,
      this.reader.runRows,
      new ColdStartFallback(aggregates, means.meanOutputs()),
      startedAt,
      {
        cacheEntries: this.options.storeBackedCacheEntries,
        summaryCacheMs: STORE_BACKED_SUMMARY_CACHE_MS,
        now: this.now,
        countCacheLookups: (model, hits, misses) => {
          for (const observer of this.observers) observer.cacheLookups?.(model, hits, misses);
        },
      },
    );
    return { state, duplicateRows: 0 };
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
