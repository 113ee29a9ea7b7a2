import { BatchRunTableBuilder } from './batch-run-table';
import { ColdStartFallback } from './cold-start-fallback';
import { InMemoryModelState } from './model-serving-state';
import { ServingState, UnknownModelError } from './serving-state';

function stateOf(model: string, runId: string, score: number): InMemoryModelState {
  const builder = new BatchRunTableBuilder(model, runId, { limitBytes: 1e9, usedElsewhereBytes: 0 });
  builder.append('a', [score], 1, []);
  const table = builder.build();
  const pointer = { model, runId, modelVersion: '1', dataCutoff: 0, action: 'publish' as const, at: 1, actor: 't' };
  return new InMemoryModelState(pointer, table, new ColdStartFallback([], table.meanOutputs()), 5);
}

describe('ServingState', () => {
  it('serves each model from its installed state and swaps a model whole', () => {
    const serving = new ServingState();
    serving.install(stateOf('churn', 'run-1', 0.25));
    serving.install(stateOf('upsell', 'run-7', 0.5));
    expect(serving.answer('churn', 'a')).toMatchObject({ runId: 'run-1', outputs: [0.25] });
    serving.install(stateOf('churn', 'run-2', 0.75));
    expect(serving.answer('churn', 'a')).toMatchObject({ runId: 'run-2', outputs: [0.75] });
    expect(serving.answer('upsell', 'a')).toMatchObject({ runId: 'run-7' });
    expect(serving.estimatedBytesExcept('churn')).toBe(serving.get('upsell')!.estimatedBytes);
  });

  it('refuses a model without a published run', () => {
    expect(() => new ServingState().answer('nope', 'a')).toThrow(UnknownModelError);
  });
});
