import { type EpochMs, type FeatureEvent, type SpeedPrediction } from '@platform/domain';
import { type FeatureColumns, FeaturePreprocessor, type ModelManifest } from '@platform/model-package';
import { type ServingModel } from './serving-model';

export interface ScoredEvents {
  readonly rows: SpeedPrediction[];
  /** Events the model's preprocessing cannot use (e.g. a required feature missing). */
  readonly unscored: number;
}

/**
 * Scores one model's feature events with its serving version, one tensor per call: the speed
 * layer's ingest and its catch-up after a version switch produce rows the same way.
 */
export class EventScorer {
  private readonly preprocessors = new WeakMap<ModelManifest, FeaturePreprocessor>();

  async score(model: string, serving: ServingModel, events: readonly FeatureEvent[], scoredAt: EpochMs): Promise<ScoredEvents> {
    if (events.length === 0) return { rows: [], unscored: 0 };
    const result = await serving.model.score(this.columnsOf(serving.model.manifest, events), events.length);
    const width = serving.model.manifest.outputs.length;
    const rejected = new Set(result.rejections.map((rejection) => rejection.row));
    const rows: SpeedPrediction[] = [];
    events.forEach((event, row) => {
      if (rejected.has(row)) return;
      rows.push({
        model,
        modelVersion: serving.modelVersion,
        entityId: event.entityId,
        eventId: event.eventId,
        eventTime: event.eventTime,
        outputs: Array.from(result.outputs.subarray(row * width, (row + 1) * width)),
        scoredAt,
        source: event.source,
      });
    });
    return { rows, unscored: rejected.size };
  }

  /** Events as the model's feature columns: NaN for a missing number, category codes for strings. */
  private columnsOf(manifest: ModelManifest, events: readonly FeatureEvent[]): FeatureColumns {
    let preprocessor = this.preprocessors.get(manifest);
    if (preprocessor === undefined) {
      preprocessor = new FeaturePreprocessor(manifest);
      this.preprocessors.set(manifest, preprocessor);
    }
    const codes = preprocessor;
    const columns: Record<string, Float64Array | Int32Array> = {};
    for (const feature of manifest.features) {
      columns[feature.name] =
        feature.type === 'numeric'
          ? Float64Array.from(events, (event) => event.numericFeatures[feature.name] ?? NaN)
          : Int32Array.from(events, (event) => codes.encodeCategory(feature.name, event.categoricalFeatures[feature.name]));
    }
    return columns;
  }
}
