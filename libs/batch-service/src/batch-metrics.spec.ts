import { type BatchRunRecord } from '@platform/domain';
import { Registry } from 'prom-client';
import { BatchMetrics } from './batch-metrics';

const run = { runId: 'r1', model: 'churn' } as BatchRunRecord;

describe('BatchMetrics', () => {
  it('counts rows and stage time, times runs, and ages the published run', async () => {
    const registry = new Registry();
    const publishedAt = Date.now() - 90_000;
    const pointers = {
      append: async () => undefined as never,
      current: async (model: string) => (model === 'churn' ? { model, runId: 'r0', modelVersion: '1', dataCutoff: 0, action: 'publish' as const, actor: 'a', at: publishedAt } : undefined),
    };
    const metrics = new BatchMetrics(registry, pointers, () => ['churn', 'fraud']);
    metrics.recordBackend('tensorflow', true);
    metrics.started(run);
    metrics.progressed('churn', 1_000);
    metrics.progressed('churn', 500);
    metrics.stageTimed('churn', 'score', 250);
    metrics.stageTimed('churn', 'score', 250);
    expect(await registry.getSingleMetricAsString('batch_run_in_progress')).toContain('batch_run_in_progress{model="churn"} 1');
    metrics.finished('churn', 'published', 12_000);

    const text = await registry.metrics();
    expect(text).toContain('batch_rows_scored_total{model="churn"} 1500');
    expect(text).toContain('batch_stage_seconds_total{model="churn",stage="score"} 0.5');
    expect(text).toContain('batch_run_duration_seconds_count{model="churn",outcome="published"} 1');
    expect(text).toContain('batch_run_in_progress{model="churn"} 0');
    expect(text).toContain('tfjs_backend_info{backend="tensorflow",native="true"} 1');
    const age = Number(/batch_published_run_age_seconds\{model="churn"\} ([\d.]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(90);
    expect(age).toBeLessThan(120);
    expect(text).not.toContain('batch_published_run_age_seconds{model="fraud"}');
  });
});
