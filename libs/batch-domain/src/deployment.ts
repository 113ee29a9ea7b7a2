import { z } from 'zod';
import { InvalidInputError } from '@platform/domain';

/**
 * A deployed model: where the batch layer reads the entities to score, how source columns map to
 * the manifest's features, when it runs, how strictly it verifies, and how many runs it keeps.
 * Written by operators (a JSON file), validated once at start.
 */

const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'a SQL identifier (letters, digits, _)');

/** Five-field cron (minute hour day-of-month month day-of-week), as @nestjs/schedule reads it. */
const CRON = /^(\S+\s+){4}\S+$/;

const snapshotSource = z.strictObject({
  /** Latest features per entity over a base table and the feature events newer than it. */
  kind: z.literal('snapshot'),
  table: identifier,
});
const tableSource = z.strictObject({ kind: z.literal('table'), table: identifier });
const querySource = z.strictObject({
  /** Any SELECT the engine runs; read as a subquery. Trusted operator config, never user input. */
  kind: z.literal('query'),
  sql: z.string().min(1),
});

const dataCutoff = z.union([
  /** The largest event time the source holds when the run starts (the default). */
  z.literal('max-event-time'),
  /** The run's start time. */
  z.literal('now'),
  /** A fixed watermark, epoch milliseconds: reruns read exactly the same data. */
  z.number().int().nonnegative(),
]);

export const deploymentSchema = z.strictObject({
  model: z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/),
  /** Pin a version; absent = the registry's active version at run time. */
  modelVersion: z.string().optional(),
  source: z.discriminatedUnion('kind', [snapshotSource, tableSource, querySource]),
  entityKey: identifier.default('entity_id'),
  /** Event-time column (UInt64 epoch ms) the data cut-off applies to. */
  eventTimeColumn: identifier.default('updated_at'),
  /** Feature name → source column, for features whose column is named differently. */
  columns: z.record(z.string(), identifier).default({}),
  /** A boolean SQL expression over source columns; trusted operator config. */
  filter: z.string().min(1).optional(),
  dataCutoff: dataCutoff.default('max-event-time'),
  schedule: z.string().regex(CRON, 'a five-field cron expression, e.g. "0 * * * *"').default('0 * * * *'),
  /** Source columns whose combinations get per-segment aggregates (cold start, slice view). */
  segmentColumns: z.array(identifier).max(4).default([]),
  /** Overrides of the manifest's verification thresholds. */
  verification: z
    .strictObject({
      maxOutputPsi: z.number().positive().optional(),
      maxFeaturePsi: z.number().positive().optional(),
    })
    .default({}),
  /** Largest share of source rows that may be rejected before the run fails (0 = none may). */
  errorThreshold: z.number().min(0).max(1).default(0),
  /** Published runs kept for rollback; older ones are dropped by partition (never the current one). */
  runsToKeep: z.number().int().min(1).max(100).default(3),
  /** Rows per chunk read, scored and written. */
  chunkRows: z.number().int().min(1_024).max(1_048_576).default(65_536),
  /**
   * Chunks that may wait between two stages (read, score, write run concurrently): enough to keep
   * the slowest stage busy; memory grows with chunkRows x depth.
   */
  pipelineDepth: z.number().int().min(1).max(16).default(2),
  /**
   * Largest number of source rows one snapshot query sorts: a bigger snapshot is read in hash
   * shards of about this size, bounding the engine's memory (the server's per-query limit).
   */
  snapshotShardRows: z.number().int().min(1_000).default(1_000_000),
});

export type Deployment = z.infer<typeof deploymentSchema>;

export class InvalidDeploymentError extends InvalidInputError {
  override readonly code = 'INVALID_DEPLOYMENT';
}

/** Validates deployments; model names must be unique. Errors name the source and each bad field. */
export function parseDeployments(json: unknown, source: string): Deployment[] {
  const result = z.array(deploymentSchema).safeParse(json);
  if (!result.success) {
    throw new InvalidDeploymentError(`deployments in ${source} are invalid:\n${z.prettifyError(result.error)}`);
  }
  const seen = new Set<string>();
  for (const deployment of result.data) {
    if (seen.has(deployment.model)) {
      throw new InvalidDeploymentError(`deployments in ${source} deploy model ${deployment.model} twice`);
    }
    seen.add(deployment.model);
  }
  return result.data;
}

/** The source column a feature is read from. */
export function sourceColumnOf(deployment: Deployment, feature: string): string {
  return deployment.columns[feature] ?? feature;
}
