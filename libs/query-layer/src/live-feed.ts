import { type EpochMs, type SpeedPrediction } from '@platform/domain';
import { type ModelServingState, type ServedPrediction } from '@platform/query-domain';
import { filter, type Observable, Subject } from 'rxjs';
import { type ServingStateObserver } from './serving-state-sync';

/** What a live feed carries: a changed answer, or a new current run (every answer may have changed). */
export type LiveEvent =
  | { readonly type: 'prediction'; readonly model: string; readonly prediction: ServedPrediction }
  | {
      readonly type: 'run';
      readonly model: string;
      readonly runId: string;
      readonly modelVersion: string;
      readonly dataCutoff: EpochMs;
      readonly action: string;
      readonly at: EpochMs;
    };

/**
 * Merged updates as they happen, per model: each speed row that changed its entity's answer
 * becomes that entity's new merged prediction, each swap becomes a run event. Subscribers see
 * events from the moment they subscribe; `close()` completes every stream (on shutdown).
 */
export class LiveFeed implements ServingStateObserver {
  private readonly events = new Subject<LiveEvent>();

  stream(model: string): Observable<LiveEvent> {
    return this.events.pipe(filter((event) => event.model === model));
  }

  stateInstalled(state: ModelServingState): void {
    const { model, runId, modelVersion, dataCutoff, action, at } = state.pointer;
    this.events.next({ type: 'run', model, runId, modelVersion, dataCutoff, action, at });
  }

  speedChanged(state: ModelServingState, rows: readonly SpeedPrediction[]): void {
    if (!this.events.observed) return;
    for (const row of rows) this.events.next({ type: 'prediction', model: state.model, prediction: state.speedAnswer(row.entityId)! });
  }

  close(): void {
    this.events.complete();
  }
}
