import { type RunStage, type ServingPointers } from '@platform/batch-domain';
import { type RunObserver } from '@platform/batch-layer';
import { type BatchRunRecord } from '@platform/domain';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The batch layer's Prometheus metrics, fed by the runs this process executes. */
export class BatchMetrics implements RunObserver {
  private readonly rowsScored: Counter<'model'>;
  private readonly stageSeconds: Counter<'model' | 'stage'>;
  private readonly runDuration: Histogram<'model' | 'outcome'>;
  private readonly running: Gauge<'model'>;

  private readonly backend: Gauge<'backend' | 'native'>;

  /** `models` is asked at each scrape: the deployments are known only once the layer is built. */
  constructor(registry: Registry, pointers: ServingPointers, models: () => readonly string[]) {
    const registers = [registry];
    this.rowsScored = new Counter({ name: 'batch_rows_scored_total', help: 'Source rows processed by batch runs (scored, or rejected as unusable)', labelNames: ['model'], registers });
    this.stageSeconds = new Counter({
      name: 'batch_stage_seconds_total',
      help: 'Busy time of batch runs per stage (read, score, write, verify, publish)',
      labelNames: ['model', 'stage'],
      registers,
    });
    this.runDuration = new Histogram({
      name: 'batch_run_duration_seconds',
      help: 'Duration of finished batch runs by outcome (published or failed)',
      labelNames: ['model', 'outcome'],
      buckets: [1, 5, 10, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200],
      registers,
    });
    this.running = new Gauge({ name: 'batch_run_in_progress', help: '1 while this process runs the model', labelNames: ['model'], registers });
    new Gauge({
      name: 'batch_published_run_age_seconds',
      help: 'Time since the serving pointer of the model last moved (publish or rollback); absent before the first publish',
      labelNames: ['model'],
      registers,
      async collect() {
        this.reset();
        for (const model of models()) {
          const current = await pointers.current(model).catch(() => undefined);
          if (current !== undefined) this.set({ model }, (Date.now() - current.at) / 1000);
        }
      },
    });
    this.backend = new Gauge({ name: 'tfjs_backend_info', help: 'The TensorFlow.js backend that scores (native = libtensorflow)', labelNames: ['backend', 'native'], registers });
  }

  recordBackend(backend: string, native: boolean): void {
    this.backend.set({ backend, native: String(native) }, 1);
  }

  started(run: BatchRunRecord): void {
    this.running.set({ model: run.model }, 1);
  }

  progressed(model: string, rowsDelta: number): void {
    this.rowsScored.inc({ model }, rowsDelta);
  }

  stageTimed(model: string, stage: RunStage, milliseconds: number): void {
    this.stageSeconds.inc({ model, stage }, milliseconds / 1000);
  }

  finished(model: string, outcome: 'published' | 'failed', durationMs: number): void {
    this.running.set({ model }, 0);
    this.runDuration.observe({ model, outcome }, durationMs / 1000);
  }
}
