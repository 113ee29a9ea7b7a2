import { type ModelOutput } from '@platform/model-package';
import { QuantileHistogram } from './quantile-histogram';
import { RangeHistogram } from './range-histogram';
import { type SamplePlacements } from './reservoir-sample';
import { type OutputSummary } from './verification-report';

/** Everything the report says about one output, gathered one value at a time in fixed memory. */
export class OutputAccumulator {
  private count = 0;
  private nanCount = 0;
  private infiniteCount = 0;
  private outOfRangeCount = 0;
  private finiteCount = 0;
  private sum = 0;
  private observedMin = Infinity;
  private observedMax = -Infinity;
  private readonly histogram: RangeHistogram;
  private readonly psiHistogram: QuantileHistogram;

  constructor(
    private readonly output: ModelOutput,
    referenceEdges: readonly number[] | null,
  ) {
    this.histogram = new RangeHistogram(output.min, output.max);
    this.psiHistogram = new QuantileHistogram(referenceEdges);
  }

  /** The output's first `count` values of a chunk; the placements say which of them the run's sample keeps. */
  observeColumn(values: Float32Array, count: number, placements: SamplePlacements): void {
    this.count += count;
    this.psiHistogram.observeColumn(values, count, placements);
    for (let index = 0; index < count; index++) {
      const value = values[index]!;
      if (Number.isNaN(value)) {
        this.nanCount++;
      } else if (!Number.isFinite(value)) {
        this.infiniteCount++;
      } else {
        this.observeFinite(value);
      }
    }
  }

  summarize(psiBins: number): OutputSummary {
    const anyFinite = this.finiteCount > 0;
    return {
      name: this.output.name,
      min: this.output.min,
      max: this.output.max,
      count: this.count,
      nanCount: this.nanCount,
      infiniteCount: this.infiniteCount,
      outOfRangeCount: this.outOfRangeCount,
      observedMin: anyFinite ? this.observedMin : null,
      observedMax: anyFinite ? this.observedMax : null,
      mean: anyFinite ? this.sum / this.finiteCount : null,
      histogram: this.histogram.summarize(),
      psiBins: this.psiHistogram.summarize(psiBins),
    };
  }

  private observeFinite(value: number): void {
    this.finiteCount++;
    this.sum += value;
    if (value < this.observedMin) this.observedMin = value;
    if (value > this.observedMax) this.observedMax = value;
    if (value < this.output.min || value > this.output.max) this.outOfRangeCount++;
    else this.histogram.observe(value);
  }
}
