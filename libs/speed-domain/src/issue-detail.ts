import { z } from 'zod';

/**
 * Details travel in dead-letter headers and logs: long enough to name every bad field, never a
 * copy of a hostile payload (an unknown 1 MB key would otherwise come back whole).
 */
export const MAX_DETAIL_CHARS = 1000;

export function capDetail(detail: string): string {
  return detail.length <= MAX_DETAIL_CHARS ? detail : `${detail.slice(0, MAX_DETAIL_CHARS - 1)}…`;
}

/** `field: problem; field: problem`, with `root` standing for the value as a whole. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], root: string): string {
  return capDetail(issues.map((issue) => `${fieldOf(issue.path, root)}: ${issue.message}`).join('; '));
}

// A top-level name as it is (header names have dashes); deeper paths as `features["a b"]`.
function fieldOf(path: readonly PropertyKey[], root: string): string {
  if (path.length === 0) return root;
  return path.length === 1 ? String(path[0]) : z.core.toDotPath(path);
}

/** A string quoted for a detail, cut short: ids and names come from producers. */
export function quoteForDetail(text: string): string {
  return text.length <= 64 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 64))}…`;
}
