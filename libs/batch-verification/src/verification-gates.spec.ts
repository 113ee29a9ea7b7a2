import { RunAccumulator } from './run-accumulator';
import { simulateRun, testManifest } from './testing/simulated-run';
import {
  featurePsiGate,
  finiteOutputGate,
  outputPsiGate,
  outputRangeGate,
  rejectRateGate,
  rowParityGate,
  verificationThresholds,
} from './verification-gates';
import { type FeatureDistribution, type OutputSummary } from './verification-report';

const manifest = testManifest();

function outputSummaryOf(...values: number[]): OutputSummary {
  const accumulator = new RunAccumulator(manifest, { reference: null });
  accumulator.observeScored({ rowCount: values.length, outputs: Float32Array.from(values), segments: {} });
  return accumulator.observations().outputs[0]!;
}

describe('rowParityGate', () => {
  it('passes when scored + rejected = read = source', () => {
    const gate = rowParityGate({ read: 100, scored: 90, rejected: 10 }, 100);
    expect(gate).toMatchObject({ passed: true, observed: 100, threshold: 100 });
  });

  it('fails when a row was lost between read and write, or the read missed source rows', () => {
    expect(rowParityGate({ read: 100, scored: 89, rejected: 10 }, 100)).toMatchObject({ passed: false, observed: 99 });
    const short = rowParityGate({ read: 100, scored: 90, rejected: 10 }, 101);
    expect(short.passed).toBe(false);
    expect(short.message).toMatch(/source holds 101: rows were lost or duplicated/);
  });
});

describe('rejectRateGate', () => {
  const rows = (rejected: number) => ({ read: 1_000, scored: 1_000 - rejected, rejected });

  it('passes at the threshold and fails just over it', () => {
    expect(rejectRateGate(rows(10), { missing: 10 }, 0.01)).toMatchObject({ passed: true, observed: 0.01, threshold: 0.01 });
    const over = rejectRateGate(rows(11), { missing: 9, 'id-too-long': 2 }, 0.01);
    expect(over).toMatchObject({ passed: false, observed: 0.011 });
    expect(over.message).toContain('11 of 1000 rows rejected (1.1%), threshold 1%');
    expect(over.message).toContain('missing 9, id-too-long 2');
  });

  it('allows no reject at the default threshold of 0', () => {
    const { maxRejectRate } = verificationThresholds(manifest);
    expect(rejectRateGate(rows(0), {}, maxRejectRate).passed).toBe(true);
    expect(rejectRateGate(rows(1), { 'wrong-type': 1 }, maxRejectRate).passed).toBe(false);
  });

  it('passes an empty source', () => {
    expect(rejectRateGate({ read: 0, scored: 0, rejected: 0 }, {}, 0)).toMatchObject({ passed: true, observed: 0 });
  });
});

describe('finiteOutputGate', () => {
  it('fails on one NaN or one infinite score', () => {
    expect(finiteOutputGate(outputSummaryOf(0.1, 0.9)).passed).toBe(true);
    expect(finiteOutputGate(outputSummaryOf(0.1, NaN))).toMatchObject({ passed: false, observed: 1, threshold: 0 });
    expect(finiteOutputGate(outputSummaryOf(Infinity)).message).toBe(
      'churn_probability has 0 NaN and 1 infinite values: the model produced unusable scores',
    );
  });
});

describe('outputRangeGate', () => {
  // Scores are Float32: the nearest values beyond [0, 1].
  const justAboveOne = Math.fround(1 + 2 ** -23);
  const justBelowZero = -(2 ** -149);

  it('accepts the range’s ends (inclusive) and fails just outside them', () => {
    expect(outputRangeGate(outputSummaryOf(0, 1)).passed).toBe(true);
    expect(outputRangeGate(outputSummaryOf(0, justAboveOne))).toMatchObject({ passed: false, observed: 1 });
    expect(outputRangeGate(outputSummaryOf(justBelowZero, 1))).toMatchObject({ passed: false, observed: 1 });
  });

  it('leaves NaN to the finite gate', () => {
    expect(outputRangeGate(outputSummaryOf(NaN)).passed).toBe(true);
  });
});

describe('PSI gates', () => {
  const reference = simulateRun({ runId: 'r1', seed: 1, rows: 50_000 });
  const current = simulateRun({ runId: 'r2', seed: 2, rows: 50_000, shift: 0.3, reference });
  const tenure = current.features.find((feature) => feature.name === 'tenure')!;
  const output = current.outputs[0]!;

  it('pass at the threshold and fail just under it', () => {
    const gates = [(max: number) => featurePsiGate(tenure, reference, max), (max: number) => outputPsiGate(output, reference, max)];
    for (const gate of gates) {
      const psi = gate(1).observed!;
      expect(psi).toBeGreaterThan(0.05);
      expect(gate(psi)).toMatchObject({ passed: true, observed: psi, threshold: psi });
      expect(gate(psi - 1e-9).passed).toBe(false);
    }
  });

  it('say what to do when they fail', () => {
    expect(featurePsiGate(tenure, reference, 0.01).message).toMatch(
      /^feature tenure: PSI 0\.\d{4} against run r1, threshold 0\.01: the distribution shifted; check the source data, or raise maxFeaturePsi/,
    );
  });

  it('pass with a note when the reference cannot be compared', () => {
    const plan = current.features.find((feature) => feature.kind === 'categorical')!;
    const renamed: FeatureDistribution = { ...plan, labels: ['basic', 'plus', 'max', '(unknown)', '(missing)'] };
    expect(featurePsiGate(renamed, reference, 0.01)).toMatchObject({
      passed: true,
      observed: null,
      message: 'feature plan: not compared, its categories changed since the reference run',
    });
    const unwatched = { ...reference, features: [] };
    expect(featurePsiGate(plan, unwatched, 0.01).message).toBe('feature plan: not compared, not watched in the reference run');
  });
});

describe('verificationThresholds', () => {
  it('takes the manifest’s PSI thresholds unless the deployment overrides them', () => {
    expect(verificationThresholds(manifest)).toEqual({ maxOutputPsi: 0.25, maxFeaturePsi: 0.25, maxRejectRate: 0 });
    expect(verificationThresholds(manifest, { maxFeaturePsi: 0.4, maxOutputPsi: undefined, maxRejectRate: 0.02 })).toEqual({
      maxOutputPsi: 0.25,
      maxFeaturePsi: 0.4,
      maxRejectRate: 0.02,
    });
  });
});
