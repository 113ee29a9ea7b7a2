import { type SpeedPrediction } from '@platform/domain';
import { type ModelServingState, type ServingState } from '@platform/query-domain';
import { type ServingStateObserver } from '@platform/query-layer';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * The serving state's size and lag, read at scrape time, and its loads and speed updates as they
 * happen. Request latency per route comes from service-kit's `http_request_duration_seconds`.
 */
export class QueryMetrics implements ServingStateObserver {
  private readonly loadSeconds: Histogram<'model'>;
  private readonly speedChanges: Counter<'model'>;
  private readonly cacheHits: Counter<'model'>;
  private readonly cacheMisses: Counter<'model'>;

  constructor(registry: Registry, serving: ServingState, now: () => number = Date.now) {
    const perModel = (read: (state: ModelServingState) => number) =>
      function (this: Gauge<'model'>): void {
        this.reset();
        for (const state of serving.models()) this.set({ model: state.model }, read(state));
      };
    new Gauge({
      name: 'query_state_batch_rows',
      help: "Rows of each model's current run (held in memory, or in ClickHouse for a store-backed model)",
      labelNames: ['model'],
      registers: [registry],
      collect: perModel((state) => state.batchRowCount),
    });
    new Gauge({
      name: 'query_state_speed_entities',
      help: 'Entities of each model answered by a speed prediction',
      labelNames: ['model'],
      registers: [registry],
      collect: perModel((state) => state.speed.size),
    });
    new Gauge({
      name: 'query_state_bytes',
      help: "Estimated bytes of each model's serving state",
      labelNames: ['model'],
      registers: [registry],
      collect: perModel((state) => state.estimatedBytes),
    });
    new Gauge({
      name: 'query_speed_lag_seconds',
      help: "Seconds since each model's speed tail last completed a poll",
      labelNames: ['model'],
      registers: [registry],
      collect: perModel((state) => (now() - state.speedAsOf) / 1000),
    });
    new Gauge({
      name: 'query_store_backed_models',
      help: 'Models whose current run is over the memory budget and served from ClickHouse through an LRU cache',
      registers: [registry],
      collect(this: Gauge) {
        this.set(serving.models().filter((state) => state.storeBacked).length);
      },
    });
    this.cacheHits = new Counter({
      name: 'query_store_backed_cache_hits_total',
      help: "Entities a store-backed model answered from its LRU cache of batch rows",
      labelNames: ['model'],
      registers: [registry],
    });
    this.cacheMisses = new Counter({
      name: 'query_store_backed_cache_misses_total',
      help: 'Entities a store-backed model read from ClickHouse (not in its LRU cache)',
      labelNames: ['model'],
      registers: [registry],
    });
    this.loadSeconds = new Histogram({
      name: 'query_state_load_seconds',
      help: 'Time to load a run (bulk read into memory, or one pass for a store-backed model; aggregates, eligible speed rows)',
      labelNames: ['model'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    });
    this.speedChanges = new Counter({
      name: 'query_speed_answers_changed_total',
      help: 'Speed rows that changed the served answer of their entity',
      labelNames: ['model'],
      registers: [registry],
    });
  }

  stateInstalled(state: ModelServingState, loadMs: number): void {
    this.loadSeconds.observe({ model: state.model }, loadMs / 1000);
  }

  speedChanged(state: ModelServingState, rows: readonly SpeedPrediction[]): void {
    this.speedChanges.inc({ model: state.model }, rows.length);
  }

  cacheLookups(model: string, hits: number, misses: number): void {
    if (hits > 0) this.cacheHits.inc({ model }, hits);
    if (misses > 0) this.cacheMisses.inc({ model }, misses);
  }
}
