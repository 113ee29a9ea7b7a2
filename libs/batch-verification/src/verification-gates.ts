import { type ModelManifest } from '@platform/model-package';
import { populationStabilityIndex } from './population-stability-index';
import { type RunObservations } from './run-accumulator';
import { VerificationInputError } from './verification-errors';
import {
  type FeatureDistribution,
  type OutputSummary,
  type QuantileBins,
  type VerificationGate,
  type VerificationReport,
} from './verification-report';

export interface VerificationThresholds {
  readonly maxOutputPsi: number;
  readonly maxFeaturePsi: number;
  /** Largest share of source rows that may be rejected (the deployment's error threshold). */
  readonly maxRejectRate: number;
}

/** Deployment overrides; absent values fall back to the manifest (PSI) or 0 (rejects). */
export interface ThresholdOverrides {
  readonly maxOutputPsi?: number | undefined;
  readonly maxFeaturePsi?: number | undefined;
  readonly maxRejectRate?: number | undefined;
}

export function verificationThresholds(manifest: ModelManifest, overrides: ThresholdOverrides = {}): VerificationThresholds {
  return {
    maxOutputPsi: overrides.maxOutputPsi ?? manifest.verification.maxOutputPsi,
    maxFeaturePsi: overrides.maxFeaturePsi ?? manifest.verification.maxFeaturePsi,
    maxRejectRate: overrides.maxRejectRate ?? 0,
  };
}

type Rows = RunObservations['rows'];

/** Every row read was either written or rejected, and the reader saw the whole source. */
export function rowParityGate(rows: Rows, sourceRowCount: number): VerificationGate {
  const accounted = rows.scored + rows.rejected;
  const passed = accounted === rows.read && rows.read === sourceRowCount;
  const counts =
    `${rows.scored} scored + ${rows.rejected} rejected = ${accounted}; ` +
    `${rows.read} read; source holds ${sourceRowCount}`;
  return {
    name: 'row-parity',
    passed,
    observed: accounted,
    threshold: sourceRowCount,
    message: passed ? counts : `${counts}: rows were lost or duplicated between source, read and write; rerun the model`,
  };
}

export function rejectRateGate(
  rows: Rows,
  rejectsByReason: Readonly<Record<string, number>>,
  maxRejectRate: number,
): VerificationGate {
  const rate = rows.read === 0 ? 0 : rows.rejected / rows.read;
  const passed = rate <= maxRejectRate;
  const observed = `${rows.rejected} of ${rows.read} rows rejected (${percent(rate)}), threshold ${percent(maxRejectRate)}`;
  const reasons = Object.entries(rejectsByReason)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return {
    name: 'reject-rate',
    passed,
    observed: rate,
    threshold: maxRejectRate,
    message: passed
      ? observed
      : `${observed}: fix the source rows (${reasons}; see the run's rejects) or raise the deployment's errorThreshold`,
  };
}

export function finiteOutputGate(output: OutputSummary): VerificationGate {
  const nonFinite = output.nanCount + output.infiniteCount;
  return {
    name: `finite-outputs:${output.name}`,
    passed: nonFinite === 0,
    observed: nonFinite,
    threshold: 0,
    message:
      nonFinite === 0
        ? `all ${output.count} values of ${output.name} are finite`
        : `${output.name} has ${output.nanCount} NaN and ${output.infiniteCount} infinite values: ` +
          'the model produced unusable scores',
  };
}

export function outputRangeGate(output: OutputSummary): VerificationGate {
  const range = `[${output.min}, ${output.max}]`;
  const observed = output.observedMin === null ? 'no finite values' : `observed ${output.observedMin} to ${output.observedMax}`;
  return {
    name: `outputs-in-range:${output.name}`,
    passed: output.outOfRangeCount === 0,
    observed: output.outOfRangeCount,
    threshold: 0,
    message:
      output.outOfRangeCount === 0
        ? `finite values of ${output.name} within ${range} (${observed})`
        : `${output.outOfRangeCount} values of ${output.name} outside the manifest's range ${range} (${observed})`,
  };
}

export function outputPsiGate(output: OutputSummary, reference: VerificationReport | null, maxPsi: number): VerificationGate {
  const referenceOutput = reference?.outputs.find((candidate) => candidate.name === output.name);
  const comparison = compareQuantileBins(output.psiBins, referenceOutput?.psiBins);
  return psiGate(`output-psi:${output.name}`, `output ${output.name}`, comparison, reference, maxPsi, 'maxOutputPsi');
}

export function featurePsiGate(
  feature: FeatureDistribution,
  reference: VerificationReport | null,
  maxPsi: number,
): VerificationGate {
  const referenceFeature = reference?.features.find((candidate) => candidate.name === feature.name);
  const comparison = compareFeature(feature, referenceFeature);
  return psiGate(`feature-psi:${feature.name}`, `feature ${feature.name}`, comparison, reference, maxPsi, 'maxFeaturePsi');
}

/** A PSI, or why none could be computed (then the gate passes and says so). */
type Comparison = { readonly psi: number } | { readonly skipped: string };

function compareFeature(feature: FeatureDistribution, reference: FeatureDistribution | undefined): Comparison {
  if (reference !== undefined && reference.kind !== feature.kind) {
    return { skipped: `was ${reference.kind} in the reference run, is ${feature.kind} now` };
  }
  if (feature.kind === 'numeric') {
    return compareQuantileBins(feature.psiBins, reference?.kind === 'numeric' ? reference.psiBins : undefined);
  }
  if (reference?.kind !== 'categorical') return { skipped: 'not watched in the reference run' };
  if (!sameLabels(reference.labels, feature.labels)) return { skipped: 'its categories changed since the reference run' };
  return { psi: populationStabilityIndex(reference.counts, feature.counts) };
}

function compareQuantileBins(current: QuantileBins, reference: QuantileBins | undefined): Comparison {
  if (reference === undefined) return { skipped: 'not watched in the reference run' };
  if (current.onReferenceEdges === null) {
    throw new VerificationInputError(
      'observations were gathered without the reference run’s edges: build the RunAccumulator with the same reference',
    );
  }
  return { psi: populationStabilityIndex(reference.nextReference.counts, current.onReferenceEdges.counts) };
}

function psiGate(
  name: string,
  subject: string,
  comparison: Comparison,
  reference: VerificationReport | null,
  maxPsi: number,
  setting: string,
): VerificationGate {
  if (reference === null) {
    const message = `${subject}: no previous published run to compare with (first run); its bins are the next run's reference`;
    return { name, passed: true, observed: null, threshold: maxPsi, message };
  }
  if ('skipped' in comparison) {
    return { name, passed: true, observed: null, threshold: maxPsi, message: `${subject}: not compared, ${comparison.skipped}` };
  }
  const passed = comparison.psi <= maxPsi;
  const observed = `${subject}: PSI ${comparison.psi.toFixed(4)} against run ${reference.runId}, threshold ${maxPsi}`;
  return {
    name,
    passed,
    observed: comparison.psi,
    threshold: maxPsi,
    message: passed
      ? observed
      : `${observed}: the distribution shifted; check the source data, or raise ${setting} if the shift is expected`,
  };
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((label, index) => label === b[index]);
}

function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(4))}%`;
}
