import { CATEGORY_MISSING, CATEGORY_UNKNOWN, FeatureColumnsError, FeaturePreprocessor } from './feature-preprocessor';
import { parseModelManifest } from './model-manifest';

const manifest = parseModelManifest(
  {
    manifestVersion: 1,
    name: 'churn',
    version: '1.0.0',
    format: 'layers-model',
    features: [
      { name: 'tenure', type: 'numeric', impute: 10, standardize: { mean: 20, std: 5 } },
      { name: 'calls', type: 'numeric' },
      { name: 'plan', type: 'categorical', categories: ['basic', 'pro'], missing: 'zeros', unknown: 'reject' },
    ],
    outputs: [{ name: 'p', min: 0, max: 1 }],
  },
  'test',
);

describe('FeaturePreprocessor', () => {
  const preprocessor = new FeaturePreprocessor(manifest);

  it('standardizes, imputes and one-hot encodes into a row-major matrix', () => {
    const result = preprocessor.preprocess(
      {
        tenure: Float64Array.of(25, NaN),
        calls: Float32Array.of(3, 0),
        plan: Int32Array.of(1, CATEGORY_MISSING),
      },
      2,
    );
    expect(result.width).toBe(4);
    expect(Array.from(result.matrix)).toEqual([1, 3, 0, 1, -2, 0, 0, 0]);
    expect(result.rejections).toEqual([]);
  });

  it('fills a reused buffer as it would a fresh matrix, and refuses one too small', () => {
    const columns = { tenure: Float64Array.of(25, NaN), calls: Float32Array.of(3, 0), plan: Int32Array.of(1, CATEGORY_MISSING) };
    const buffer = new Float32Array(10).fill(7);
    const result = preprocessor.preprocess(columns, 2, buffer);
    expect(Array.from(result.matrix)).toEqual([1, 3, 0, 1, -2, 0, 0, 0]);
    expect(result.matrix.buffer).toBe(buffer.buffer);
    expect(() => preprocessor.preprocess(columns, 2, new Float32Array(7))).toThrow(/buffer of 7 values cannot hold 2 rows of width 4/);
  });

  it('rejects rows as the manifest says, once per row, zeroing them', () => {
    const result = preprocessor.preprocess(
      {
        tenure: Float64Array.of(1, 1, Infinity, 1),
        calls: Float32Array.of(NaN, 1, 1, NaN),
        plan: Int32Array.of(0, CATEGORY_UNKNOWN, 0, CATEGORY_UNKNOWN),
      },
      4,
    );
    expect(result.rejections).toEqual([
      { row: 0, feature: 'calls', reason: 'missing' },
      { row: 1, feature: 'plan', reason: 'unknown-category' },
      { row: 2, feature: 'tenure', reason: 'not-finite' },
      { row: 3, feature: 'calls', reason: 'missing' },
    ]);
    expect(result.matrix.every((value) => value === 0)).toBe(true);
  });

  it('encodes categories to codes', () => {
    expect(preprocessor.encodeCategory('plan', 'pro')).toBe(1);
    expect(preprocessor.encodeCategory('plan', 'gold')).toBe(CATEGORY_UNKNOWN);
    expect(preprocessor.encodeCategory('plan', undefined)).toBe(CATEGORY_MISSING);
    expect(() => preprocessor.encodeCategory('tenure', 'x')).toThrow(/no categorical feature tenure/);
  });

  it('names the feature when a column is missing, of the wrong kind, or short', () => {
    const ok = { tenure: Float64Array.of(1), calls: Float32Array.of(1), plan: Int32Array.of(0) };
    expect(() => preprocessor.preprocess({ tenure: ok.tenure, calls: ok.calls }, 1)).toThrow(
      new FeatureColumnsError('feature column plan of model churn is missing'),
    );
    expect(() => preprocessor.preprocess({ ...ok, plan: Float32Array.of(0) }, 1)).toThrow(/plan of model churn is categorical/);
    expect(() => preprocessor.preprocess(ok, 2)).toThrow(/tenure has 1 values for 2 rows/);
  });
});
