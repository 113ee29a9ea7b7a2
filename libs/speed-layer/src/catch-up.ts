import { type EpochMs, type FeatureEvent } from '@platform/domain';
import { EventScorer, type ScoredEvents } from './event-scorer';
import { type ServingModel } from './serving-model';

export interface CatchUpDependencies {
  readonly masterDataset: {
    /** A page of each entity's latest event after `after`, entities in id order past `afterEntityId`. */
    latestPerEntityAfter(model: string, after: EpochMs, afterEntityId: string, limit: number, ingestedSince: EpochMs): Promise<FeatureEvent[]>;
  };
  /** Finished catch-ups, by the serving pointer row they followed. */
  readonly catchUps: {
    record(entry: { model: string; pointerAt: EpochMs; runId: string; modelVersion: string; dataCutoff: EpochMs; entities: number; at: EpochMs }): Promise<void>;
    firstFinishedAt(model: string, pointerAt: EpochMs): Promise<EpochMs | undefined>;
  };
  readonly predictions: { insertPredictions(scored: readonly ScoredEvents[]): Promise<void> };
  /** Output topics: re-scored predictions are published like the ingested ones. */
  readonly publishPredictions?: (scored: readonly ScoredEvents[]) => Promise<void>;
  /** Entities per page read, scored and written. */
  readonly pageSize?: number;
  readonly clock?: () => EpochMs;
}

export interface CatchUpOutcome {
  readonly model: string;
  readonly modelVersion: string;
  readonly dataCutoff: EpochMs;
  /** Entities with an event after the cut-off (ingested since `ingestedSince`), each re-scored from its latest event. */
  readonly entities: number;
  /** 0 for a full catch-up; else only events ingested since then were looked at. */
  readonly ingestedSince: EpochMs;
  readonly scored: number;
  readonly unscored: number;
  readonly milliseconds: number;
}

const DEFAULT_PAGE_SIZE = 10_000;

/**
 * How far before an earlier catch-up's end a starting consumer looks: longer than any member
 * scores with an old version after a pointer moved (a serving refresh plus one micro-batch).
 */
export const CATCH_UP_OVERLAP_MS = 60_000;

/** The serving pointer row a catch-up follows. */
export interface FollowedPointer {
  readonly at: EpochMs;
  readonly runId: string;
}

/**
 * After the serving version of a model changes (publish or rollback), re-scores from the master
 * dataset every entity with an event newer than the new cut-off, with the new version: the merge
 * rule serves only speed rows of the current version, so without this those entities would fall
 * back to the batch row until their next event. Only each entity's latest event is scored (the
 * only one the rule can serve). Idempotent: a repeated catch-up writes rows that collapse with
 * the first by (model, entity, event id, version).
 */
export class CatchUpScoring {
  private readonly scorer = new EventScorer();
  private readonly pageSize: number;
  private readonly clock: () => EpochMs;

  constructor(private readonly deps: CatchUpDependencies) {
    this.pageSize = deps.pageSize ?? DEFAULT_PAGE_SIZE;
    this.clock = deps.clock ?? Date.now;
  }

  /**
   * Catches up after `pointer` moved. `joining`: this consumer is starting, not switching; when
   * another member already caught up after this pointer, only events ingested since shortly
   * before that are re-scored (what a member still on the old version may have scored since).
   */
  async run(model: string, serving: ServingModel, pointer: FollowedPointer, joining: boolean): Promise<CatchUpOutcome> {
    const startedAt = performance.now();
    const earlier = joining ? await this.deps.catchUps.firstFinishedAt(model, pointer.at) : undefined;
    const ingestedSince = earlier === undefined ? 0 : Math.max(0, earlier - CATCH_UP_OVERLAP_MS);
    let entities = 0;
    let scored = 0;
    let unscored = 0;
    for (let afterEntityId = ''; ; ) {
      const events = await this.deps.masterDataset.latestPerEntityAfter(model, serving.dataCutoff, afterEntityId, this.pageSize, ingestedSince);
      if (events.length === 0) break;
      const result = await this.scorer.score(model, serving, events, this.clock());
      if (result.events.length > 0) {
        await this.deps.predictions.insertPredictions([result]);
        await this.deps.publishPredictions?.([result]);
      }
      entities += events.length;
      scored += result.events.length;
      unscored += result.unscored;
      if (events.length < this.pageSize) break;
      afterEntityId = events[events.length - 1]!.entityId;
    }
    await this.deps.catchUps.record({ model, pointerAt: pointer.at, runId: pointer.runId, modelVersion: serving.modelVersion, dataCutoff: serving.dataCutoff, entities, at: this.clock() });
    return {
      model,
      modelVersion: serving.modelVersion,
      dataCutoff: serving.dataCutoff,
      entities,
      ingestedSince,
      scored,
      unscored,
      milliseconds: Math.round(performance.now() - startedAt),
    };
  }
}
