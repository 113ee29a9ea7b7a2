import { isUtf8 } from 'node:buffer';
import { type EpochMs, type FeatureEvent } from '@platform/domain';
import { type ModelFeature, type ModelManifest } from '@platform/model-package';
import { type DeadLetterCause, type DeadLetterReason } from './dead-letter';
import { type FeatureEventV1, featureEventV1Schema, isEntityIdTooLongIssue } from './feature-event-contract';
import { acceptFeatureEventV1 } from './feature-event-fast-path';
import { capDetail, describeIssues, quoteForDetail } from './issue-detail';

/** A valid event, before the consumer adds where it was read from and when. Null features are left out: missing. */
export type ValidFeatureEvent = Omit<FeatureEvent, 'source' | 'ingestedAt'>;

export interface FeatureEventRejection extends DeadLetterCause {
  readonly ok: false;
}

export type FeatureEventValidation = { readonly ok: true; readonly event: ValidFeatureEvent } | FeatureEventRejection;

export interface FeatureEventValidationContext {
  /** The consumer's clock. */
  readonly now: EpochMs;
  /** How far ahead of `now` a producer's clock may run before its events are refused. */
  readonly allowedClockSkewMs: number;
  /** By model name: the manifest of the version the speed layer scores with now. */
  readonly manifests: ReadonlyMap<string, ModelManifest>;
}

const UTF8_BOM = [0xef, 0xbb, 0xbf] as const;

/**
 * The value as text, decoded once; undefined when it is not UTF-8 (refused rather than turned
 * into U+FFFD, which would alter the data). A byte order mark is dropped, as TextDecoder does.
 */
function decodeUtf8(bytes: Buffer): string | undefined {
  if (!isUtf8(bytes)) return undefined;
  const bom = bytes[0] === UTF8_BOM[0] && bytes[1] === UTF8_BOM[1] && bytes[2] === UTF8_BOM[2];
  return bytes.toString('utf8', bom ? UTF8_BOM.length : 0);
}

/**
 * Checks one message value (null for a tombstone) against the event contract and the models the
 * speed layer serves. Never throws: every input ends as an event or as a reason for the
 * dead-letter topic.
 */
export function validateFeatureEvent(bytes: Buffer | null, context: FeatureEventValidationContext): FeatureEventValidation {
  if (bytes === null) return reject('empty', 'the message has no value (a tombstone)');
  if (bytes.length === 0) return reject('empty', 'the message value is empty');

  const text = decodeUtf8(bytes);
  if (text === undefined) return reject('not-json', 'the value is not valid UTF-8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return reject('not-json', error instanceof Error ? error.message : String(error));
  }
  if (hasProtoFeature(json)) {
    return reject('schema', 'features.__proto__: "__proto__" cannot be a feature name');
  }

  const parsed = parseContract(json);
  if (!parsed.ok) return parsed;
  const { model, entityId, eventId, eventTime, features } = parsed.event;

  const manifest = context.manifests.get(model);
  if (manifest === undefined) {
    return reject('unknown-model', `model ${quoteForDetail(model)} is not deployed`);
  }
  const known = featuresOf(manifest);
  let unknown: string[] | undefined;
  for (const name in features) if (!known.has(name)) (unknown ??= []).push(name);
  if (unknown !== undefined) {
    return reject('unknown-feature', `model ${model} has no feature ${unknown.map(quoteForDetail).join(', ')}`);
  }

  // Own plain properties, assigned: every name is a manifest feature, and __proto__ was refused above.
  const numericFeatures: Record<string, number> = {};
  const categoricalFeatures: Record<string, string> = {};
  let mistyped: string[] | undefined;
  for (const name in features) {
    const value = features[name];
    if (value === null || value === undefined) continue;
    const feature = known.get(name)!;
    if (feature.type === 'numeric' && typeof value === 'number') numericFeatures[name] = value;
    else if (feature.type === 'categorical' && typeof value === 'string') categoricalFeatures[name] = value;
    else (mistyped ??= []).push(`features.${name}: ${feature.type} feature of model ${model} takes ${TAKES[feature.type]}, got a ${typeof value}`);
  }
  if (mistyped !== undefined) return reject('schema', mistyped.join('; '));

  const latest = context.now + context.allowedClockSkewMs;
  if (eventTime > latest) {
    return reject(
      'event-time-in-future',
      `eventTime ${new Date(eventTime).toISOString()} is ${eventTime - context.now} ms ahead of the consumer's clock; ${context.allowedClockSkewMs} ms of skew are allowed`,
    );
  }

  return { ok: true, event: { model, entityId, eventId, eventTime, numericFeatures, categoricalFeatures } };
}

/** The contract by the hand-written check; zod only for what it does not accept, to word the reasons. */
function parseContract(json: unknown): { readonly ok: true; readonly event: FeatureEventV1 } | FeatureEventRejection {
  const fast = acceptFeatureEventV1(json);
  if (fast !== undefined) return { ok: true, event: fast };
  const parsed = featureEventV1Schema.safeParse(json);
  if (parsed.success) return { ok: true, event: parsed.data };
  const { issues } = parsed.error;
  return reject(issues.every(isEntityIdTooLongIssue) ? 'entity-id-too-long' : 'schema', describeIssues(issues, '(event)'));
}

const TAKES = { numeric: 'a number or null', categorical: 'a string or null' } as const;

function reject(reason: DeadLetterReason, detail: string): FeatureEventRejection {
  return { ok: false, reason, detail: capDetail(detail) };
}

/** zod drops a `__proto__` key from a record without a word; JSON.parse keeps it as an own key. */
function hasProtoFeature(json: unknown): boolean {
  if (typeof json !== 'object' || json === null || !Object.hasOwn(json, 'features')) return false;
  const { features } = json as { features: unknown };
  return typeof features === 'object' && features !== null && Object.hasOwn(features, '__proto__');
}

// Validation runs per message: index each manifest's features once, not once per event.
const featureIndex = new WeakMap<ModelManifest, ReadonlyMap<string, ModelFeature>>();

function featuresOf(manifest: ModelManifest): ReadonlyMap<string, ModelFeature> {
  let index = featureIndex.get(manifest);
  if (index === undefined) {
    index = new Map(manifest.features.map((feature) => [feature.name, feature]));
    featureIndex.set(manifest, index);
  }
  return index;
}
