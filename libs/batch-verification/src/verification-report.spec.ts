import { summarizeReport } from './report-summary';
import { RunAccumulator } from './run-accumulator';
import { simulateRun, testManifest } from './testing/simulated-run';
import { InvalidVerificationReportError, VerificationInputError } from './verification-errors';
import { verificationThresholds } from './verification-gates';
import { parseVerificationReport, type VerificationReport } from './verification-report';
import { buildVerificationReport } from './verification-report-builder';

const ROWS = 100_000;

function gate(report: VerificationReport, name: string) {
  const found = report.gates.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no gate ${name} in ${report.gates.map((g) => g.name).join(', ')}`);
  return found;
}

const PSI_GATES = ['output-psi:churn_probability', 'feature-psi:tenure', 'feature-psi:plan'];

describe('verification report', () => {
  const firstRun = simulateRun({ runId: 'r1', seed: 1, rows: ROWS });

  it('passes a first run, noting that the PSI gates had nothing to compare with, and records edges', () => {
    expect(firstRun.passed).toBe(true);
    expect(firstRun.referenceRunId).toBeNull();
    for (const name of PSI_GATES) {
      expect(gate(firstRun, name)).toMatchObject({ passed: true, observed: null });
      expect(gate(firstRun, name).message).toMatch(
        /no previous published run to compare with \(first run\); its bins are the next run's reference$/,
      );
    }
    const tenure = firstRun.features.find((feature) => feature.name === 'tenure');
    expect(tenure?.kind === 'numeric' && tenure.psiBins.onReferenceEdges).toBeNull();
    expect(tenure?.kind === 'numeric' && tenure.psiBins.nextReference.edges).toHaveLength(9);
    expect(firstRun.outputs[0]!.psiBins.nextReference.edges).toHaveLength(9);
  });

  it('passes a resample of the same distribution with PSI well under 0.1', () => {
    const resample = simulateRun({ runId: 'r2', seed: 2, rows: ROWS, reference: firstRun });
    expect(resample.passed).toBe(true);
    expect(resample.referenceRunId).toBe('r1');
    for (const name of PSI_GATES) expect(gate(resample, name).observed).toBeLessThan(0.01);
  });

  // A mean shift of δ standard deviations gives a decile PSI near δ²: 0.48 → 0.22, 0.54 → 0.28.
  it('passes a shift just under the PSI threshold and fails one just over it', () => {
    const under = simulateRun({ runId: 'r2', seed: 2, rows: ROWS, shift: 0.48, reference: firstRun });
    const over = simulateRun({ runId: 'r3', seed: 3, rows: ROWS, shift: 0.54, reference: firstRun });
    for (const name of ['feature-psi:tenure', 'output-psi:churn_probability']) {
      expect(gate(under, name).observed).toBeGreaterThan(0.2);
      expect(gate(under, name)).toMatchObject({ passed: true, threshold: 0.25 });
      expect(gate(over, name).observed).toBeLessThan(0.3);
      expect(gate(over, name)).toMatchObject({ passed: false, threshold: 0.25 });
    }
    expect(under.passed).toBe(true);
    expect(over.passed).toBe(false);
    expect(gate(over, 'feature-psi:plan').passed).toBe(true);
  });

  it('fails a run whose model yields NaN', () => {
    const broken = simulateRun({ runId: 'r2', seed: 2, rows: ROWS, reference: firstRun, nanRows: 1 });
    expect(broken.passed).toBe(false);
    expect(broken.gates.filter((candidate) => !candidate.passed).map((candidate) => candidate.name)).toEqual([
      'finite-outputs:churn_probability',
    ]);
  });

  it('refuses observations gathered against another reference', () => {
    const manifest = testManifest();
    const accumulator = new RunAccumulator(manifest, { reference: null });
    const build = () =>
      buildVerificationReport({
        runId: 'r2',
        model: 'churn',
        modelVersion: '1.0.0',
        sourceRowCount: 0,
        observations: accumulator.observations(),
        thresholds: verificationThresholds(manifest),
        reference: firstRun,
      });
    expect(build).toThrow(VerificationInputError);
    expect(build).toThrow('run r2 was accumulated against reference none but verified against r1');
  });

  describe('stored as JSON', () => {
    it('round-trips through JSON and the schema', () => {
      const second = simulateRun({ runId: 'r2', seed: 2, rows: 10_000, reference: firstRun, nanRows: 3 });
      for (const report of [firstRun, second]) {
        expect(parseVerificationReport(JSON.stringify(report), `run ${report.runId}`)).toEqual(report);
      }
    });

    it('refuses text that is not JSON', () => {
      expect(() => parseVerificationReport('{"reportVersion": 1', 'run r9')).toThrow(/verification report of run r9 is not JSON/);
    });

    it('names every bad field of a report that does not match the format', () => {
      const tampered = structuredClone(firstRun);
      tampered.outputs[0]!.psiBins.nextReference.counts.pop();
      tampered.passed = false;
      const parse = () => parseVerificationReport(JSON.stringify(tampered), 'run r1');
      expect(parse).toThrow(InvalidVerificationReportError);
      expect(parse).toThrow(/outputs\[0\]\.psiBins\.nextReference/);
      expect(parse).toThrow(/passed must be true exactly when every gate passed|counts must hold/);
    });

    it('refuses another report version', () => {
      expect(() => parseVerificationReport(JSON.stringify({ ...firstRun, reportVersion: 2 }), 'run r1')).toThrow(/reportVersion/);
    });
  });

  describe('summarizeReport', () => {
    it('gives the verdict, rows and outputs of a passing run', () => {
      const lines = summarizeReport(firstRun);
      expect(lines).toHaveLength(3);
      expect(lines[0]).toBe('run r1 (churn 1.0.0): PASSED all 7 gates');
      expect(lines[1]).toBe(`rows: ${ROWS} read of ${ROWS} in the source, ${ROWS} scored, 0 rejected`);
      expect(lines[2]).toMatch(/^churn_probability: mean 0\.\d{4}, observed 0\.\d+ to 0\.\d+ \(valid 0 to 1\), no PSI/);
    });

    it('lists every failed gate with its message', () => {
      const over = simulateRun({ runId: 'r3', seed: 3, rows: 20_000, shift: 1, reference: firstRun });
      const lines = summarizeReport(over);
      expect(lines[0]).toBe('run r3 (churn 1.0.0): FAILED 2 of 7 gates');
      expect(lines[2]).toMatch(/PSI 0\.\d{4} vs run r1$/);
      expect(lines.slice(3).map((line) => line.split(':')[0])).toEqual(['  failed output-psi', '  failed feature-psi']);
    });
  });
});
