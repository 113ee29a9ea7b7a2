import { type ModelFeature, type ModelManifest, parseModelManifest } from '@platform/model-package';
import { CHURN_FEATURES, type ChurnFeatureColumns } from './churn-features';

export const CHURN_MODEL_NAME = 'churn';
export const CHURN_OUTPUT = 'churn_probability';

/** Features whose drift verification watches: numeric drivers of the truth function. */
const PSI_FEATURES = ['tenure_months', 'support_calls_90d', 'days_since_last_login', 'price_increase_pct', 'allowance_used_pct'];

/**
 * Standardization from the training rows only (so the holdout stays unseen): mean and standard
 * deviation of the present values. A missing value is imputed with the mean, i.e. 0 after
 * standardization, the least surprising input for the network.
 */
function numericPreprocessing(name: string, values: Float32Array, rows: number): ModelFeature {
  let count = 0;
  let sum = 0;
  for (let row = 0; row < rows; row++) {
    const value = values[row]!;
    if (!Number.isNaN(value)) {
      count++;
      sum += value;
    }
  }
  const mean = count === 0 ? 0 : sum / count;
  let squares = 0;
  for (let row = 0; row < rows; row++) {
    const value = values[row]!;
    if (!Number.isNaN(value)) squares += (value - mean) ** 2;
  }
  const std = count < 2 ? 0 : Math.sqrt(squares / (count - 1));
  // A constant column carries no signal; std 1 keeps the manifest valid and the input at 0.
  return { name, type: 'numeric', impute: mean, standardize: { mean, std: std > 0 ? std : 1 } };
}

/** The manifest of a churn model trained on `rows` rows of `training`. */
export function buildChurnManifest(version: string, seed: number, training: ChurnFeatureColumns, rows: number): ModelManifest {
  const features = CHURN_FEATURES.map((feature): ModelFeature =>
    feature.type === 'numeric'
      ? numericPreprocessing(feature.name, training[feature.name], rows)
      : // Missing and unknown categories become all-zero one-hot rows: the network learns what they mean.
        { name: feature.name, type: 'categorical', categories: [...feature.categories], missing: 'zeros', unknown: 'zeros' },
  );
  return parseModelManifest(
    {
      manifestVersion: 1,
      name: CHURN_MODEL_NAME,
      version,
      description: `Demo churn classifier (MLP) on synthetic customers, data seed ${seed}; see libs/demo-churn.`,
      format: 'layers-model',
      modelFile: 'model.json',
      features,
      outputs: [{ name: CHURN_OUTPUT, min: 0, max: 1 }],
      // PSI rule of thumb: under 0.1 no real shift, over 0.25 a major one.
      verification: { maxOutputPsi: 0.1, maxFeaturePsi: 0.2, psiFeatures: PSI_FEATURES, psiBins: 10 },
    },
    `churn model ${version}`,
  );
}
