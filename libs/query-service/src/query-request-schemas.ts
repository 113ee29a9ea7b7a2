import { assertEntityId } from '@platform/domain';
import { z } from 'zod';

/** Most ids one bulk lookup may carry. */
export const BULK_LOOKUP_MAX_IDS = 10_000;

const SEGMENT_QUERY_KEY = /^segment\.([A-Za-z_][A-Za-z0-9_]{0,63})$/;

/** An id the store can hold: non-empty, at most 256 UTF-8 bytes, no lone surrogate (libs/domain). */
export const entityIdSchema = z.string().superRefine((id, context) => {
  try {
    assertEntityId(id);
  } catch (error) {
    context.addIssue({ code: 'custom', message: error instanceof Error ? error.message : String(error) });
  }
});

const segmentValue = z.string().max(256);

export const modelParams = z.object({ model: z.string().min(1).max(64) });
export const entityParams = modelParams.extend({ entityId: entityIdSchema });

/** `?segment.region=north&segment.plan=basic`: the entity's segment attributes, for cold start. */
export const segmentQuery = z
  .record(
    z.string().regex(SEGMENT_QUERY_KEY, 'only segment.<column> parameters are accepted'),
    segmentValue,
  )
  .transform((query) =>
    Object.fromEntries(Object.entries(query).map(([key, value]) => [SEGMENT_QUERY_KEY.exec(key)![1]!, value])),
  );

export const lookupBody = z.strictObject({
  ids: z.array(entityIdSchema).min(1).max(BULK_LOOKUP_MAX_IDS),
  /** Segment attributes by entity id, for the ids that may be unknown (cold start). */
  segments: z.record(z.string(), z.record(z.string().max(64), segmentValue)).optional(),
});
export type LookupBody = z.infer<typeof lookupBody>;
