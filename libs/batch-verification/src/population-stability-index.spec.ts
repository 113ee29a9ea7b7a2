import { populationStabilityIndex, PSI_EMPTY_BIN_SHARE } from './population-stability-index';
import { VerificationInputError } from './verification-errors';

describe('populationStabilityIndex', () => {
  it('matches hand-computed values', () => {
    // (0.25 − 0.5)·ln(0.25/0.5) + (0.75 − 0.5)·ln(0.75/0.5) = 0.25·ln 2 + 0.25·ln 1.5
    expect(populationStabilityIndex([0.5, 0.5], [0.25, 0.75])).toBeCloseTo(0.2746530722, 9);
    // counts are normalized: shares 0.1/0.3/0.6 vs 0.2/0.3/0.5 → 0.1·ln 2 + 0.1·ln 1.2
    expect(populationStabilityIndex([10, 30, 60], [20, 30, 50])).toBeCloseTo(0.0875468737, 9);
  });

  it('floors an empty bin at PSI_EMPTY_BIN_SHARE instead of going infinite', () => {
    // shares 1/0 vs 0.9/0.1: 0.1·ln(1/0.9) + (0.1 − 1e-4)·ln(0.1/1e-4)
    expect(PSI_EMPTY_BIN_SHARE).toBe(1e-4);
    expect(populationStabilityIndex([1, 0], [9, 1])).toBeCloseTo(0.700620804, 9);
  });

  it('is 0 for identical distributions, whatever the scale', () => {
    expect(populationStabilityIndex([3, 0, 7], [3, 0, 7])).toBe(0);
    expect(populationStabilityIndex([3, 0, 7], [300, 0, 700])).toBeCloseTo(0, 15);
  });

  it('is symmetric in its arguments', () => {
    const a = [5, 10, 20, 40, 25];
    const b = [12, 8, 30, 30, 20];
    expect(populationStabilityIndex(a, b)).toBeCloseTo(populationStabilityIndex(b, a), 15);
    expect(populationStabilityIndex(a, b)).toBeGreaterThan(0);
  });

  it('treats a side with no rows as every bin empty: a large, finite shift', () => {
    const psi = populationStabilityIndex([50, 50], [0, 0]);
    expect(Number.isFinite(psi)).toBe(true);
    expect(psi).toBeGreaterThan(5);
    expect(populationStabilityIndex([0, 0], [0, 0])).toBe(0);
  });

  it('refuses histograms on different bins or with bad weights', () => {
    expect(() => populationStabilityIndex([1, 2], [1, 2, 3])).toThrow(VerificationInputError);
    expect(() => populationStabilityIndex([1, NaN], [1, 2])).toThrow(/finite non-negative/);
    expect(() => populationStabilityIndex([1, 2], [-1, 2])).toThrow(/finite non-negative/);
  });
});
