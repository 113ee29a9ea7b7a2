import { assertEntityId } from '@platform/domain';
import { type RankCursor } from '@platform/query-domain';
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
  .transform(segmentAttributesOf);

/** `{ 'segment.region': 'north' }` → `{ region: 'north' }` (keys already checked against SEGMENT_QUERY_KEY). */
function segmentAttributesOf(query: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(query).map(([key, value]) => [SEGMENT_QUERY_KEY.exec(key)![1]!, value]));
}

export const lookupBody = z.strictObject({
  ids: z.array(entityIdSchema).min(1).max(BULK_LOOKUP_MAX_IDS),
  /** Segment attributes by entity id, for the ids that may be unknown (cold start). */
  segments: z.record(z.string(), z.record(z.string().max(64), segmentValue)).optional(),
});
export type LookupBody = z.infer<typeof lookupBody>;

/** A ranked page's cursor as clients see it: opaque base64url of [score as text, entity id]. */
export function encodeRankCursor(cursor: RankCursor): string {
  return Buffer.from(JSON.stringify([String(cursor.score), cursor.entityId]), 'utf8').toString('base64url');
}

const rankCursor = z
  .string()
  .max(2_048)
  .transform((text, context): RankCursor => {
    try {
      const decoded: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
      if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === 'string' && typeof decoded[1] === 'string') {
        const score = Number(decoded[0]);
        if (!Number.isNaN(score)) return { score, entityId: decoded[1] };
      }
    } catch {
      // Not base64url JSON: reported below like any other malformed cursor.
    }
    context.addIssue({ code: 'custom', message: 'not a cursor this API returned (take nextCursor from the previous page)' });
    return z.NEVER;
  });

const RANKING_OPTIONS = new Set(['limit', 'after', 'source']);

/** limit, after, source, and `segment.<column>=value` filters (only entities of that segment). */
export const rankingQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1_000).default(100),
    after: rankCursor.optional(),
    source: z.enum(['batch', 'speed']).optional(),
  })
  .catchall(segmentValue)
  .superRefine((query, context) => {
    for (const key of Object.keys(query)) {
      if (!RANKING_OPTIONS.has(key) && !SEGMENT_QUERY_KEY.test(key)) {
        context.addIssue({ code: 'custom', path: [key], message: 'unknown parameter: expected limit, after, source or segment.<column>' });
      }
    }
  })
  .transform(({ limit, after, source, ...segment }) => ({ limit, after, source, segment: segmentAttributesOf(segment as Record<string, string>) }));

export const runParams = modelParams.extend({ runId: z.string().min(1).max(128) });
export const runListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(1_000).default(20) });
