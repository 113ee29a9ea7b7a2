/**
 * Bins of the score histogram in the report: equal-width over the output's declared range, so
 * runs and model versions read side by side (20 bins of a probability are 0.05 wide). Display
 * only: PSI uses quantile bins, since equal-width bins put most scores of a rare event in one bin.
 */
export const DISPLAY_HISTOGRAM_BINS = 20;

/** Equal-width counts of in-range values over [min, max]; the caller counts values outside. */
export class RangeHistogram {
  private readonly counts: Float64Array;
  private readonly binWidth: number;

  constructor(
    private readonly min: number,
    private readonly max: number,
    bins = DISPLAY_HISTOGRAM_BINS,
  ) {
    this.counts = new Float64Array(bins);
    this.binWidth = (max - min) / bins;
  }

  /** Counts a value within [min, max]; max falls in the last bin. */
  observe(value: number): void {
    const bin = this.binWidth === 0 ? 0 : Math.min(this.counts.length - 1, Math.floor((value - this.min) / this.binWidth));
    this.counts[bin]! += 1;
  }

  summarize(): { min: number; max: number; counts: number[] } {
    return { min: this.min, max: this.max, counts: Array.from(this.counts) };
  }
}
