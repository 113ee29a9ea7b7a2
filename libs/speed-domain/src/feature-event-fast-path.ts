import { ENTITY_ID_MAX_BYTES } from '@platform/domain';
import { EVENT_ID_MAX_LENGTH, FEATURE_EVENT_SCHEMA_V1, type FeatureEventV1, LONE_SURROGATE, MAX_EPOCH_MS } from './feature-event-contract';

/**
 * The v1 contract checked by hand on parsed JSON, for the speed layer's hot path (zod costs more
 * per event than everything else the consumer does but the JSON parse). Returns the event only
 * when `featureEventV1Schema` accepts it with the same output; `undefined` means "ask zod", which
 * also words the reasons. Event times as RFC 3339 text are always left to zod.
 */
export function acceptFeatureEventV1(json: unknown): FeatureEventV1 | undefined {
  if (!isPlainRecord(json)) return undefined;
  let keys = 0;
  for (const key in json) if (Object.hasOwn(json, key)) keys++;
  // With all six fields present (checked below), six keys means no key the contract lacks.
  if (keys !== 6) return undefined;
  const { schema, eventId, entityId, eventTime, model, features } = json;
  if (schema !== FEATURE_EVENT_SCHEMA_V1) return undefined;
  if (typeof eventId !== 'string' || eventId.length === 0 || eventId.length > EVENT_ID_MAX_LENGTH || LONE_SURROGATE.test(eventId)) return undefined;
  if (typeof entityId !== 'string' || !isStorableEntityId(entityId)) return undefined;
  if (typeof eventTime !== 'number' || !Number.isInteger(eventTime) || eventTime < 0 || eventTime > MAX_EPOCH_MS) return undefined;
  if (typeof model !== 'string' || model.length === 0 || LONE_SURROGATE.test(model)) return undefined;
  if (!isPlainRecord(features) || !allFeatureValuesValid(features)) return undefined;
  return { schema, eventId, entityId, eventTime, model, features: features as FeatureEventV1['features'] };
}

function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStorableEntityId(id: string): boolean {
  return id.length > 0 && Buffer.byteLength(id, 'utf8') <= ENTITY_ID_MAX_BYTES && !LONE_SURROGATE.test(id);
}

/** A finite number, a string with a UTF-8 form, or null, as `z.number()`, the refined string and `z.null()` take. */
function allFeatureValuesValid(features: Record<string, unknown>): boolean {
  for (const name in features) {
    // A key JSON.parse made own but that is not plain data (__proto__) is refused before this; be safe anyway.
    if (!Object.hasOwn(features, name) || name === '__proto__') return false;
    const value = features[name];
    if (value === null) continue;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return false;
    } else if (typeof value !== 'string' || LONE_SURROGATE.test(value)) {
      return false;
    }
  }
  return true;
}
