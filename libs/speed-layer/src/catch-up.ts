import { type EpochMs, type FeatureEvent, type SpeedPrediction } from '@platform/domain';
import { EventScorer } from './event-scorer';
import { type ServingModel } from './serving-model';

export interface CatchUpDependencies {
  readonly masterDataset: {
    /** A page of each entity's latest event after `after`, entities in id order past `afterEntityId`. */
    latestPerEntityAfter(model: string, after: EpochMs, afterEntityId: string, limit: number): Promise<FeatureEvent[]>;
  };
  readonly predictions: { insert(rows: readonly SpeedPrediction[]): Promise<void> };
  /** Output topics: re-scored predictions are published like the ingested ones. */
  readonly publishPredictions?: (rows: readonly SpeedPrediction[]) => Promise<void>;
  /** Entities per page read, scored and written. */
  readonly pageSize?: number;
  readonly clock?: () => EpochMs;
}

export interface CatchUpOutcome {
  readonly model: string;
  readonly modelVersion: string;
  readonly dataCutoff: EpochMs;
  /** Entities with an event after the cut-off, each re-scored from its latest event. */
  readonly entities: number;
  readonly scored: number;
  readonly unscored: number;
  readonly milliseconds: number;
}

const DEFAULT_PAGE_SIZE = 10_000;

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

  async run(model: string, serving: ServingModel): Promise<CatchUpOutcome> {
    const startedAt = performance.now();
    let entities = 0;
    let scored = 0;
    let unscored = 0;
    for (let afterEntityId = ''; ; ) {
      const events = await this.deps.masterDataset.latestPerEntityAfter(model, serving.dataCutoff, afterEntityId, this.pageSize);
      if (events.length === 0) break;
      const result = await this.scorer.score(model, serving, events, this.clock());
      if (result.rows.length > 0) {
        await this.deps.predictions.insert(result.rows);
        await this.deps.publishPredictions?.(result.rows);
      }
      entities += events.length;
      scored += result.rows.length;
      unscored += result.unscored;
      if (events.length < this.pageSize) break;
      afterEntityId = events[events.length - 1]!.entityId;
    }
    return { model, modelVersion: serving.modelVersion, dataCutoff: serving.dataCutoff, entities, scored, unscored, milliseconds: Math.round(performance.now() - startedAt) };
  }
}
