import { CATEGORY_MISSING } from '@platform/model-package';
import { CHURN_FEATURES } from './churn-features';
import { generateChurnChunk } from './churn-generator';
import { CHURN_MODEL_NAME } from './churn-manifest';

/** A feature event of the speed layer's contract (feature-event/v1), as producers send it. */
export interface ChurnFeatureEvent {
  readonly schema: 'feature-event/v1';
  readonly eventId: string;
  readonly entityId: string;
  readonly eventTime: number;
  readonly model: string;
  readonly features: Readonly<Record<string, number | string | null>>;
}

/**
 * Fresh features for demo customers, as a stream producer would send them: `rows` customers from
 * `startIndex` of the seeded data set (the same ids as the demo source), their missing values as
 * null. The event id is unique per (seed, index, eventTime).
 */
export function churnFeatureEvents(seed: number, startIndex: number, rows: number, eventTime: number): ChurnFeatureEvent[] {
  const chunk = generateChurnChunk(seed, startIndex, rows);
  const columns = chunk.features as unknown as Readonly<Record<string, Float32Array | Int32Array>>;
  return chunk.entityIds.map((entityId, row) => {
    const features: Record<string, number | string | null> = {};
    for (const feature of CHURN_FEATURES) {
      const value = columns[feature.name]![row]!;
      if (feature.type === 'numeric') features[feature.name] = Number.isNaN(value) ? null : value;
      else features[feature.name] = value === CATEGORY_MISSING ? null : (feature.categories[value] ?? null);
    }
    return { schema: 'feature-event/v1', eventId: `${seed}-${startIndex + row}-${eventTime}`, entityId, eventTime, model: CHURN_MODEL_NAME, features };
  });
}
