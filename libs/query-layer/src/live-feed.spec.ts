import { type ServingPointer, type SpeedPrediction } from '@platform/domain';
import { BatchRunTableBuilder, ColdStartFallback, InMemoryModelState } from '@platform/query-domain';
import { type LiveEvent, LiveFeed } from './live-feed';

function stateOf(model: string): InMemoryModelState {
  const pointer: ServingPointer = { model, runId: 'r1', modelVersion: '1', dataCutoff: 0, action: 'publish', at: 5, actor: 't' };
  const table = new BatchRunTableBuilder(model, 'r1', { limitBytes: 1e9, usedElsewhereBytes: 0 }).build();
  return new InMemoryModelState(pointer, table, new ColdStartFallback([], []), 0);
}

const row: SpeedPrediction = {
  model: 'churn',
  modelVersion: '1',
  entityId: 'a',
  eventId: 'e1',
  eventTime: 10,
  outputs: [0.5],
  scoredAt: 11,
  source: { topic: 't', partition: 0, offset: '0' },
};

describe('LiveFeed', () => {
  it("streams one model's new runs and changed answers, and completes on close", () => {
    const feed = new LiveFeed();
    const churn = stateOf('churn');
    const seen: LiveEvent[] = [];
    let completed = false;
    feed.stream('churn').subscribe({ next: (event) => seen.push(event), complete: () => (completed = true) });
    feed.stateInstalled(churn);
    feed.stateInstalled(stateOf('upsell'));
    churn.offerSpeed(row);
    feed.speedChanged(churn, [row]);
    feed.close();
    expect(seen).toEqual([
      { type: 'run', model: 'churn', runId: 'r1', modelVersion: '1', dataCutoff: 0, action: 'publish', at: 5 },
      { type: 'prediction', model: 'churn', prediction: expect.objectContaining({ entityId: 'a', source: 'speed', outputs: [0.5] }) },
    ]);
    expect(completed).toBe(true);
  });
});
