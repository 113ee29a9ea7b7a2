import { z } from 'zod';
import { assertEntityId, ENTITY_ID_MAX_BYTES, InvalidEntityIdError } from '@platform/domain';

/**
 * The wire contract of a feature event, version 1: what producers write to the feature-events
 * topic. `validateFeatureEvent` applies it together with the rules that need the model manifests
 * and a clock; EVENT-CONTRACT.md documents both. An incompatible change gets a new `schema` tag,
 * so a consumer can accept the versions it knows side by side.
 */
export const FEATURE_EVENT_SCHEMA_V1 = 'feature-event/v1';

/** The largest time a JS Date holds: beyond it an event time cannot even be printed. */
export const MAX_EPOCH_MS = 8_640_000_000_000_000;

/** The longest event id, in UTF-16 code units (zod's string length). */
export const EVENT_ID_MAX_LENGTH = 128;

// A lone surrogate (possible through a \uD800 escape) has no UTF-8 form: storing the string would change it.
export const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_MESSAGE = 'contains a lone UTF-16 surrogate, which has no UTF-8 form';
const wellFormedString = () => z.string().refine((text) => !LONE_SURROGATE.test(text), LONE_SURROGATE_MESSAGE);

/** Marks the schema issue that has a dead-letter reason of its own. */
const ENTITY_ID_TOO_LONG = 'entityIdTooLong';

const entityId = z
  .string()
  .check((ctx) => {
    try {
      assertEntityId(ctx.value);
    } catch (error) {
      if (!(error instanceof InvalidEntityIdError)) throw error;
      const tooLong = Buffer.byteLength(ctx.value, 'utf8') > ENTITY_ID_MAX_BYTES;
      ctx.issues.push({ code: 'custom', input: ctx.value, message: error.message, params: { [ENTITY_ID_TOO_LONG]: tooLong } });
    }
  })
  .meta({
    description: `The entity the features belong to; also the message key. 1 to ${ENTITY_ID_MAX_BYTES} bytes in UTF-8.`,
    // The byte cap is checked above and has no JSON Schema keyword; the lower bound does.
    minLength: 1,
  });

const epochMs = z
  .int()
  .min(0, 'the event time is before 1970-01-01T00:00:00Z (epoch 0)')
  .max(MAX_EPOCH_MS, `the event time is after epoch ms ${MAX_EPOCH_MS}, the latest a JavaScript Date holds`);

const eventTime = z
  .union(
    [
      epochMs,
      z.iso
        .datetime({ offset: true })
        .transform((text) => Date.parse(text))
        .pipe(epochMs),
    ],
    { error: 'expected epoch milliseconds (an integer from 0) or an RFC 3339 date-time with Z or a ±hh:mm offset' },
  )
  .meta({
    description:
      'When the features were observed: epoch milliseconds, or an RFC 3339 date-time (upper-case T and Z, or a ±hh:mm offset; fractions beyond milliseconds are truncated). Normalized to epoch milliseconds.',
  });

const featureValue = z.union([z.number(), wellFormedString(), z.null()], {
  error: 'expected a number, a string or null',
});

export const featureEventV1Schema = z
  .strictObject({
    schema: z.literal(FEATURE_EVENT_SCHEMA_V1),
    eventId: wellFormedString()
      .min(1)
      .max(EVENT_ID_MAX_LENGTH)
      .meta({ description: 'Unique per model: a redelivered or re-sent event keeps its id and yields one prediction.' }),
    entityId,
    eventTime,
    model: wellFormedString().min(1).meta({ description: 'Name of a deployed model.' }),
    features: z.record(z.string(), featureValue).meta({
      description:
        'Feature name to value: a number for a numeric feature, a string for a categorical one, null for missing. Features left out are missing too; names the model does not know are refused.',
    }),
  })
  .meta({
    title: FEATURE_EVENT_SCHEMA_V1,
    description: 'One observation of some features of one entity, for one model. JSON, UTF-8.',
  });

/** An event as parsed: the event time is in epoch milliseconds whatever form it came in. */
export type FeatureEventV1 = z.output<typeof featureEventV1Schema>;
/** An event as a producer writes it. */
export type FeatureEventV1Input = z.input<typeof featureEventV1Schema>;

/**
 * The JSON Schema (draft 2020-12) of what producers write, for publishing and for producers in
 * other languages. Rules it cannot express (the entity id's byte cap, the manifest, the clock)
 * are in the field descriptions and in EVENT-CONTRACT.md.
 */
export const featureEventV1JsonSchema = z.toJSONSchema(featureEventV1Schema, { io: 'input', target: 'draft-2020-12' });

/** True for the issue raised by an entity id over the byte cap. */
export function isEntityIdTooLongIssue(issue: z.core.$ZodIssue): boolean {
  return issue.code === 'custom' && issue.params?.[ENTITY_ID_TOO_LONG] === true;
}
