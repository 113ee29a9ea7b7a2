import { type EpochMs, type FeatureEvent, type SpeedPrediction } from '@platform/domain';
import { type FeatureColumns, FeaturePreprocessor, type ModelManifest } from '@platform/model-package';
import { type ServingModel } from './serving-model';

/**
 * One model's events scored with one version, kept as columns: the outputs stay the model's
 * Float32Array, written to ClickHouse as they are, with no row object per prediction.
 */
export interface ScoredEvents {
  readonly model: string;
  readonly modelVersion: string;
  readonly scoredAt: EpochMs;
  /** The events scored, row by row (those the preprocessing could not use are left out). */
  readonly events: readonly FeatureEvent[];
  /** Row-major: the outputs of row i are outputs[i * width, (i + 1) * width). */
  readonly outputs: Float32Array;
  /** Outputs per row: the manifest's output count. */
  readonly width: number;
  /** Events the model's preprocessing cannot use (e.g. a required feature missing). */
  readonly unscored: number;
}

/** Row objects of scored events, for tests and readers that want rows. */
export function predictionRows(scored: ScoredEvents): SpeedPrediction[] {
  const { model, modelVersion, scoredAt, outputs, width } = scored;
  return scored.events.map((event, row) => ({
    model,
    modelVersion,
    entityId: event.entityId,
    eventId: event.eventId,
    eventTime: event.eventTime,
    outputs: Array.from(outputs.subarray(row * width, (row + 1) * width)),
    scoredAt,
    source: event.source,
  }));
}

/**
 * Scores one model's feature events with its serving version, one tensor per call: the speed
 * layer's ingest and its catch-up after a version switch produce rows the same way.
 */
export class EventScorer {
  private readonly preprocessors = new WeakMap<ModelManifest, FeaturePreprocessor>();

  async score(model: string, serving: ServingModel, events: readonly FeatureEvent[], scoredAt: EpochMs): Promise<ScoredEvents> {
    const { manifest } = serving.model;
    const width = manifest.outputs.length;
    const scored = { model, modelVersion: serving.modelVersion, scoredAt, width };
    if (events.length === 0) return { ...scored, events: [], outputs: new Float32Array(0), unscored: 0 };
    const result = await serving.model.score(this.columnsOf(manifest, events), events.length);
    if (result.rejections.length === 0) {
      return { ...scored, events, outputs: result.outputs.subarray(0, events.length * width), unscored: 0 };
    }
    const rejected = new Set(result.rejections.map((rejection) => rejection.row));
    const kept: FeatureEvent[] = [];
    const outputs = new Float32Array((events.length - rejected.size) * width);
    events.forEach((event, row) => {
      if (rejected.has(row)) return;
      outputs.set(result.outputs.subarray(row * width, (row + 1) * width), kept.length * width);
      kept.push(event);
    });
    return { ...scored, events: kept, outputs, unscored: rejected.size };
  }

  /** Events as the model's feature columns: NaN for a missing number, category codes for strings. */
  private columnsOf(manifest: ModelManifest, events: readonly FeatureEvent[]): FeatureColumns {
    let preprocessor = this.preprocessors.get(manifest);
    if (preprocessor === undefined) {
      preprocessor = new FeaturePreprocessor(manifest);
      this.preprocessors.set(manifest, preprocessor);
    }
    const columns: Record<string, Float64Array | Int32Array> = {};
    const rows = events.length;
    // Plain loops: TypedArray.from with a map function goes through the iterator protocol per value.
    for (const feature of manifest.features) {
      const { name } = feature;
      if (feature.type === 'numeric') {
        const column = new Float64Array(rows);
        for (let row = 0; row < rows; row++) column[row] = events[row]!.numericFeatures[name] ?? NaN;
        columns[name] = column;
      } else {
        const column = new Int32Array(rows);
        for (let row = 0; row < rows; row++) column[row] = preprocessor.encodeCategory(name, events[row]!.categoricalFeatures[name]);
        columns[name] = column;
      }
    }
    return columns;
  }
}
