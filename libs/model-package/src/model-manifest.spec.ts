import { InvalidModelManifestError, inputWidth, parseModelManifest } from './model-manifest';

const valid = {
  manifestVersion: 1,
  name: 'churn',
  version: '1.2.3',
  format: 'layers-model',
  features: [
    { name: 'tenure_months', type: 'numeric', impute: 12, standardize: { mean: 24, std: 18 } },
    { name: 'plan', type: 'categorical', categories: ['basic', 'pro', 'enterprise'] },
  ],
  outputs: [{ name: 'churn_probability', min: 0, max: 1 }],
  verification: { psiFeatures: ['tenure_months'] },
};

describe('parseModelManifest', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const manifest = parseModelManifest(valid, 'churn/manifest.json');
    expect(manifest.modelFile).toBe('model.json');
    expect(manifest.features[1]).toMatchObject({ missing: 'reject', unknown: 'zeros' });
    expect(manifest.verification).toEqual({ maxOutputPsi: 0.2, maxFeaturePsi: 0.25, psiFeatures: ['tenure_months'], psiBins: 10 });
    expect(inputWidth(manifest)).toBe(4);
  });

  it.each([
    ['a version that is not semantic', { version: '1.2' }, /version must be semantic/],
    ['an unknown format', { format: 'onnx' }, /format/],
    ['no features', { features: [] }, /features/],
    ['duplicate feature names', { features: [valid.features[0], valid.features[0]] }, /unique/],
    ['a non-positive std', { features: [{ name: 'x', type: 'numeric', standardize: { mean: 0, std: 0 } }] }, /std/],
    ['an output with min > max', { outputs: [{ name: 'p', min: 1, max: 0 }] }, /min <= max/],
    ['a PSI feature the manifest lacks', { verification: { psiFeatures: ['nope'] } }, /psiFeatures/],
    ['an unexpected key', { extra: true }, /extra/],
  ])('refuses %s, naming the source', (_label, change, message) => {
    const parse = (): unknown => parseModelManifest({ ...valid, ...change }, 'pkg/manifest.json');
    expect(parse).toThrow(InvalidModelManifestError);
    expect(parse).toThrow(/model manifest pkg\/manifest\.json is invalid/);
    expect(parse).toThrow(message);
  });
});
