import { type VerificationReport } from './verification-report';

/** A few lines for a terminal: the verdict, the rows, each output, then every failed gate. */
export function summarizeReport(report: VerificationReport): string[] {
  const failed = report.gates.filter((gate) => !gate.passed);
  const verdict =
    failed.length === 0
      ? `PASSED all ${report.gates.length} gates`
      : `FAILED ${failed.length} of ${report.gates.length} gates`;
  return [
    `run ${report.runId} (${report.model} ${report.modelVersion}): ${verdict}`,
    rowsLine(report),
    ...report.outputs.map((output) => outputLine(report, output)),
    ...failed.map((gate) => `  failed ${gate.name}: ${gate.message}`),
  ];
}

function rowsLine(report: VerificationReport): string {
  const { rows } = report;
  const reasons = Object.entries(report.rejectsByReason).map(([reason, count]) => `${reason} ${count}`);
  const rejected = reasons.length === 0 ? `${rows.rejected} rejected` : `${rows.rejected} rejected (${reasons.join(', ')})`;
  return `rows: ${rows.read} read of ${rows.source} in the source, ${rows.scored} scored, ${rejected}`;
}

function outputLine(report: VerificationReport, output: VerificationReport['outputs'][number]): string {
  const psi = report.gates.find((gate) => gate.name === `output-psi:${output.name}`)?.observed ?? null;
  const values =
    output.mean === null
      ? 'no finite values'
      : `mean ${output.mean.toFixed(4)}, observed ${output.observedMin} to ${output.observedMax}`;
  const drift = psi === null ? 'no PSI (no comparable reference run)' : `PSI ${psi.toFixed(4)} vs run ${report.referenceRunId}`;
  return `${output.name}: ${values} (valid ${output.min} to ${output.max}), ${drift}`;
}
