import { z } from 'zod';
import { InvalidInputError } from '@platform/domain';

/**
 * The manifest of a model package: what the model is, which features it takes in which order, how
 * raw feature values become the model's input row, what it outputs, and the thresholds the batch
 * layer's verification applies. Versions are immutable once registered.
 */

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

const featureName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'a feature name is a SQL-safe identifier');

const numericFeature = z.strictObject({
  name: featureName,
  type: z.literal('numeric'),
  /** Replaces a missing value (NaN), in raw units before standardization. Absent: a missing value rejects the row. */
  impute: z.number().refine(Number.isFinite, 'impute must be finite').optional(),
  /** (x - mean) / std. */
  standardize: z.strictObject({ mean: z.number(), std: z.number().positive() }).optional(),
});

const categoricalFeature = z.strictObject({
  name: featureName,
  type: z.literal('categorical'),
  /** One-hot slots, in order. */
  categories: z.array(z.string().min(1)).min(1),
  /** A missing value: all one-hot slots zero, or reject the row. */
  missing: z.enum(['zeros', 'reject']).default('reject'),
  /** A value not in `categories`: all slots zero, or reject the row. */
  unknown: z.enum(['zeros', 'reject']).default('zeros'),
});

const output = z.strictObject({
  name: featureName,
  /** Inclusive valid range; a score outside it fails verification. */
  min: z.number(),
  max: z.number(),
});

const verification = z.strictObject({
  /** Largest population stability index against the previous published run, per output. */
  maxOutputPsi: z.number().positive().default(0.2),
  /** Same, per feature listed in `psiFeatures`. */
  maxFeaturePsi: z.number().positive().default(0.25),
  psiFeatures: z.array(featureName).default([]),
  psiBins: z.number().int().min(2).max(100).default(10),
});

export const modelManifestSchema = z
  .strictObject({
    manifestVersion: z.literal(1),
    name: z.string().regex(NAME, 'a model name is lower-case letters, digits, - and _, starting with a letter'),
    version: z.string().regex(SEMVER, 'version must be semantic (MAJOR.MINOR.PATCH)'),
    description: z.string().default(''),
    /** A TF.js LayersModel (e.g. converted from Keras) or GraphModel, at `modelFile` in the package. */
    format: z.enum(['layers-model', 'graph-model']),
    modelFile: z.string().default('model.json'),
    features: z
      .array(z.discriminatedUnion('type', [numericFeature, categoricalFeature]))
      .min(1)
      .refine((features) => new Set(features.map((f) => f.name)).size === features.length, 'feature names must be unique'),
    outputs: z
      .array(output)
      .min(1)
      .refine((outputs) => outputs.every((o) => o.min <= o.max), 'every output needs min <= max'),
    verification: verification.default({ maxOutputPsi: 0.2, maxFeaturePsi: 0.25, psiFeatures: [], psiBins: 10 }),
  })
  .refine(
    (manifest) => manifest.verification.psiFeatures.every((name) => manifest.features.some((f) => f.name === name)),
    'verification.psiFeatures must name features of the manifest',
  );

export type ModelManifest = z.infer<typeof modelManifestSchema>;
export type ModelFeature = ModelManifest['features'][number];
export type NumericFeature = Extract<ModelFeature, { type: 'numeric' }>;
export type CategoricalFeature = Extract<ModelFeature, { type: 'categorical' }>;
export type ModelOutput = ModelManifest['outputs'][number];

export class InvalidModelManifestError extends InvalidInputError {
  override readonly code = 'INVALID_MODEL_MANIFEST';
}

/** Parses and validates a manifest; the error names the source and every bad field. */
export function parseModelManifest(json: unknown, source: string): ModelManifest {
  const result = modelManifestSchema.safeParse(json);
  if (!result.success) {
    throw new InvalidModelManifestError(`model manifest ${source} is invalid:\n${z.prettifyError(result.error)}`);
  }
  return result.data;
}

/** Width of the model's input row: one slot per numeric feature, one per category. */
export function inputWidth(manifest: ModelManifest): number {
  return manifest.features.reduce((width, f) => width + (f.type === 'numeric' ? 1 : f.categories.length), 0);
}
