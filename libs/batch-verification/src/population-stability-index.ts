import { VerificationInputError } from './verification-errors';

/**
 * The share given to a bin that is empty on one side. Without it ln(a/e) is infinite for one
 * empty bin. 1e-4 (0.01 %) is below any share that matters in a run of thousands of rows, and it
 * makes the penalty for a bin that appears from nothing grow with its share instead of jumping to
 * infinity: a new bin holding 1 % adds 0.046, holding 5 % adds 0.30. Shares are floored, not
 * renormalized, so identical histograms still give exactly 0.
 */
export const PSI_EMPTY_BIN_SHARE = 1e-4;

/**
 * Population stability index between two histograms on the same bins: Σ (a − e) · ln(a / e) over
 * the bins' shares. Counts or shares both work (each side is normalized); a side with no weight at
 * all counts as every bin empty. Symmetric in its arguments; 0 for identical distributions.
 */
export function populationStabilityIndex(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) {
    throw new VerificationInputError(`PSI needs histograms on the same bins: ${expected.length} bins vs ${actual.length}`);
  }
  const expectedTotal = totalWeight(expected);
  const actualTotal = totalWeight(actual);
  let psi = 0;
  for (let bin = 0; bin < expected.length; bin++) {
    const e = share(expected[bin]!, expectedTotal);
    const a = share(actual[bin]!, actualTotal);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

function totalWeight(weights: ArrayLike<number>): number {
  let total = 0;
  for (let bin = 0; bin < weights.length; bin++) {
    const weight = weights[bin]!;
    if (!(weight >= 0) || !Number.isFinite(weight)) {
      throw new VerificationInputError(`PSI needs finite non-negative bin weights, got ${weight} in bin ${bin}`);
    }
    total += weight;
  }
  return total;
}

function share(weight: number, total: number): number {
  return Math.max(total === 0 ? 0 : weight / total, PSI_EMPTY_BIN_SHARE);
}
