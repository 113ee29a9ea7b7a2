import { z } from 'zod';
import { InvalidVerificationReportError } from './verification-errors';

/**
 * The verification report of a batch run: gates (each passed or not, with what was observed and
 * the threshold) and the descriptive sections the next run and the slice view read. Stored as JSON
 * text in `batch_runs.report`; read back through `parseVerificationReport` before a run uses it as
 * its reference. Every number is finite (JSON has no NaN): "none observed" is null.
 */
export const VERIFICATION_REPORT_VERSION = 1;

const count = z.number().int().nonnegative();
const name = z.string().min(1);

function strictlyIncreasing(values: readonly number[]): boolean {
  return values.every((value, index) => index === 0 || value > values[index - 1]!);
}

/**
 * A histogram on quantile edges: bin i holds values in [edges[i-1], edges[i]) (open-ended at both
 * ends), so there are edges + 1 value bins; the last count is the non-finite bin (NaN, ±Inf).
 * Counts may be fractional when estimated from a sample.
 */
const binCountsSchema = z
  .strictObject({
    edges: z.array(z.number()).refine(strictlyIncreasing, 'edges must be strictly increasing'),
    counts: z.array(z.number().nonnegative()),
  })
  .refine((bins) => bins.counts.length === bins.edges.length + 2, 'counts must hold edges + 1 value bins and a non-finite bin');

/** What PSI needs of one numeric quantity, for this run and for the next. */
const quantileBinsSchema = z.strictObject({
  /** This run's exact counts on the reference run's edges; null when there was no reference. */
  onReferenceEdges: binCountsSchema.nullable(),
  /** Quantile edges of this run (from its sample) and its estimated counts on them: the next run's reference. */
  nextReference: binCountsSchema,
});

const outputSummarySchema = z.strictObject({
  name,
  /** The manifest's inclusive valid range. */
  min: z.number(),
  max: z.number(),
  count,
  nanCount: count,
  infiniteCount: count,
  /** Finite values outside [min, max]. */
  outOfRangeCount: count,
  /** Over finite values; null when there were none. */
  observedMin: z.number().nullable(),
  observedMax: z.number().nullable(),
  mean: z.number().nullable(),
  /** Equal-width bins over [min, max] of the in-range values, for display. */
  histogram: z.strictObject({ min: z.number(), max: z.number(), counts: z.array(count).min(1) }),
  psiBins: quantileBinsSchema,
});

const numericFeatureSchema = z.strictObject({ kind: z.literal('numeric'), name, psiBins: quantileBinsSchema });

const categoricalFeatureSchema = z
  .strictObject({
    kind: z.literal('categorical'),
    name,
    /** The manifest's categories, then '(unknown)' and '(missing)'. */
    labels: z.array(z.string()),
    counts: z.array(count),
  })
  .refine((feature) => feature.labels.length === feature.counts.length, 'a categorical feature needs one count per label');

const featureDistributionSchema = z.discriminatedUnion('kind', [numericFeatureSchema, categoricalFeatureSchema]);

/** Mean of each output over the rows where it is finite; null when there were none. */
const outputMeansSchema = z.record(z.string(), z.number().nullable());

const segmentAggregateSchema = z.strictObject({
  /** One value per segment column: a categorical code or a string. */
  values: z.array(z.union([z.string(), z.number()])),
  count,
  outputMeans: outputMeansSchema,
});

const segmentsSummarySchema = z.strictObject({
  columns: z.array(z.string()),
  groups: z.array(segmentAggregateSchema),
  /** Rows of segments first seen after the segment cap was reached; null when it never was. */
  overflow: z.strictObject({ count, outputMeans: outputMeansSchema }).nullable(),
});

const verificationGateSchema = z.strictObject({
  name,
  passed: z.boolean(),
  /** null when the gate could not measure (e.g. PSI with no reference run); the message says why. */
  observed: z.number().nullable(),
  threshold: z.number(),
  message: z.string(),
});

export const verificationReportSchema = z
  .strictObject({
    reportVersion: z.literal(VERIFICATION_REPORT_VERSION),
    runId: name,
    model: name,
    modelVersion: name,
    /** The previous published run the PSI gates compared against; null for a first run. */
    referenceRunId: name.nullable(),
    passed: z.boolean(),
    gates: z.array(verificationGateSchema),
    rows: z.strictObject({ source: count, read: count, scored: count, rejected: count }),
    rejectsByReason: z.record(z.string(), count),
    outputs: z.array(outputSummarySchema),
    features: z.array(featureDistributionSchema),
    segments: segmentsSummarySchema,
  })
  .refine(
    (report) => report.passed === report.gates.every((gate) => gate.passed),
    'passed must be true exactly when every gate passed',
  );

export type VerificationReport = z.infer<typeof verificationReportSchema>;
export type VerificationGate = z.infer<typeof verificationGateSchema>;
export type BinCounts = z.infer<typeof binCountsSchema>;
export type QuantileBins = z.infer<typeof quantileBinsSchema>;
export type OutputSummary = z.infer<typeof outputSummarySchema>;
export type FeatureDistribution = z.infer<typeof featureDistributionSchema>;
export type NumericFeatureDistribution = z.infer<typeof numericFeatureSchema>;
export type CategoricalFeatureDistribution = z.infer<typeof categoricalFeatureSchema>;
export type SegmentAggregate = z.infer<typeof segmentAggregateSchema>;
export type SegmentsSummary = z.infer<typeof segmentsSummarySchema>;

/** Parses a stored report (JSON text); the error names the source and every bad field. */
export function parseVerificationReport(text: string, source: string): VerificationReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidVerificationReportError(`verification report of ${source} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const result = verificationReportSchema.safeParse(json);
  if (!result.success) {
    throw new InvalidVerificationReportError(`verification report of ${source} is invalid:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}
