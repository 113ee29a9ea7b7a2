import { type CurrentRun, type ServingPointer, type SpeedPrediction } from '@platform/domain';
import { BatchRunTableBuilder, ColdStartFallback, InMemoryModelState } from '@platform/query-domain';
import { SpeedTail, type SpeedRowSource } from './speed-tail';

const POINTER: ServingPointer = { model: 'churn', runId: 'r', modelVersion: '1', dataCutoff: 0, action: 'publish', at: 1, actor: 't' };

function row(eventId: string, eventTime: number, scoredAt: number): SpeedPrediction {
  return {
    model: 'churn',
    modelVersion: '1',
    entityId: 'a',
    eventId,
    eventTime,
    outputs: [eventTime / 1000],
    scoredAt,
    source: { topic: 't', partition: 0, offset: '0' },
  };
}

/** A store whose rows become visible when the test says so, read as a scored-at range. */
class VisibleRows implements SpeedRowSource {
  readonly visible: SpeedPrediction[] = [];
  readonly reads: number[] = [];

  readSpeedRows(_model: string, _current: CurrentRun, scoredFrom: number): Promise<SpeedPrediction[]> {
    this.reads.push(scoredFrom);
    return Promise.resolve(this.visible.filter((r) => r.scoredAt >= scoredFrom));
  }
}

function emptyState(): InMemoryModelState {
  const table = new BatchRunTableBuilder('churn', 'r', { limitBytes: 1e9, usedElsewhereBytes: 0 }).build();
  return new InMemoryModelState(POINTER, table, new ColdStartFallback([], []), 0);
}

describe('SpeedTail', () => {
  it('re-reads the overlap window, offers each event once, and catches rows that land late', async () => {
    const store = new VisibleRows();
    const state = emptyState();
    const tail = new SpeedTail(state, store, 1_000);
    let clock = 50_000;
    const now = (): number => clock;

    store.visible.push(row('e1', 100, 10_000));
    expect((await tail.poll(now)).map((r) => r.eventId)).toEqual(['e1']);
    // e2 was scored before e3 but becomes visible after it: still within the overlap window.
    store.visible.push(row('e3', 300, 10_500));
    expect((await tail.poll(now)).map((r) => r.eventId)).toEqual(['e3']);
    store.visible.push(row('e2', 200, 10_200));
    clock = 60_000;
    expect(await tail.poll(now)).toEqual([]); // e2 is older than e3: read, not served
    expect(state.answer('a').eventId).toBe('e3');
    expect(state.speedAsOf).toBe(60_000);
    expect(store.reads).toEqual([0, 9_000, 9_500]);
  });

  it('does not report a redelivered event twice', async () => {
    const store = new VisibleRows();
    const tail = new SpeedTail(emptyState(), store, 1_000);
    store.visible.push(row('e1', 100, 10_000));
    expect(await tail.poll(() => 1)).toHaveLength(1);
    store.visible.push(row('e1', 100, 10_400));
    expect(await tail.poll(() => 2)).toEqual([]);
  });
});
