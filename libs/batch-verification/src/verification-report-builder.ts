import { type RunObservations } from './run-accumulator';
import { VerificationInputError } from './verification-errors';
import {
  featurePsiGate,
  finiteOutputGate,
  outputPsiGate,
  outputRangeGate,
  rejectRateGate,
  rowParityGate,
  type VerificationThresholds,
} from './verification-gates';
import { VERIFICATION_REPORT_VERSION, type VerificationGate, type VerificationReport } from './verification-report';

export interface VerificationReportInput {
  readonly runId: string;
  readonly model: string;
  readonly modelVersion: string;
  /** Rows in the source, counted separately from the rows the run read (e.g. `SELECT count()`). */
  readonly sourceRowCount: number;
  readonly observations: RunObservations;
  readonly thresholds: VerificationThresholds;
  /** The previous published run's report, the same one the RunAccumulator was built with. */
  readonly reference: VerificationReport | null;
}

/** Applies every gate to what a run observed; the run may publish only when `passed`. */
export function buildVerificationReport(input: VerificationReportInput): VerificationReport {
  const { observations, reference, thresholds } = input;
  const referenceRunId = reference?.runId ?? null;
  if (observations.referenceRunId !== referenceRunId) {
    throw new VerificationInputError(
      `run ${input.runId} was accumulated against reference ${observations.referenceRunId ?? 'none'} ` +
        `but verified against ${referenceRunId ?? 'none'}`,
    );
  }
  const gates: VerificationGate[] = [
    rowParityGate(observations.rows, input.sourceRowCount),
    rejectRateGate(observations.rows, observations.rejectsByReason, thresholds.maxRejectRate),
    ...observations.outputs.flatMap((output) => [finiteOutputGate(output), outputRangeGate(output)]),
    ...observations.outputs.map((output) => outputPsiGate(output, reference, thresholds.maxOutputPsi)),
    ...observations.features.map((feature) => featurePsiGate(feature, reference, thresholds.maxFeaturePsi)),
  ];
  return {
    reportVersion: VERIFICATION_REPORT_VERSION,
    runId: input.runId,
    model: input.model,
    modelVersion: input.modelVersion,
    referenceRunId,
    passed: gates.every((gate) => gate.passed),
    gates,
    rows: { source: input.sourceRowCount, ...observations.rows },
    rejectsByReason: { ...observations.rejectsByReason },
    outputs: observations.outputs,
    features: observations.features,
    segments: observations.segments,
  };
}
