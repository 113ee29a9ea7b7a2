import {
  CATEGORY_MISSING,
  type CategoricalFeature,
  type FeatureColumn,
  type ModelFeature,
  type NumericFeature,
} from '@platform/model-package';
import { QuantileHistogram } from './quantile-histogram';
import { type SamplePlacements } from './reservoir-sample';
import { VerificationInputError } from './verification-errors';
import { type FeatureDistribution } from './verification-report';

/** The PSI histogram of one key feature, fed column chunk by column chunk. */
export interface FeatureAccumulator {
  /** The placements say which of the chunk's rows the run's sample keeps. */
  observeColumn(column: FeatureColumn, rowCount: number, placements: SamplePlacements): void;
  summarize(psiBins: number): FeatureDistribution;
}

export function createFeatureAccumulator(
  feature: ModelFeature,
  referenceEdges: readonly number[] | null,
): FeatureAccumulator {
  return feature.type === 'numeric'
    ? new NumericFeatureAccumulator(feature, referenceEdges)
    : new CategoricalFeatureAccumulator(feature);
}

/** Reference-quantile bins, plus a non-finite bin (NaN = missing), so a surge of missing values is drift too. */
class NumericFeatureAccumulator implements FeatureAccumulator {
  private readonly histogram: QuantileHistogram;

  constructor(
    private readonly feature: NumericFeature,
    referenceEdges: readonly number[] | null,
  ) {
    this.histogram = new QuantileHistogram(referenceEdges);
  }

  observeColumn(column: FeatureColumn, rowCount: number, placements: SamplePlacements): void {
    if (column instanceof Int32Array) {
      throw new VerificationInputError(
        `feature ${this.feature.name} is numeric: expected Float32Array or Float64Array, got Int32Array`,
      );
    }
    this.histogram.observeColumn(column, rowCount, placements);
  }

  summarize(psiBins: number): FeatureDistribution {
    return { kind: 'numeric', name: this.feature.name, psiBins: this.histogram.summarize(psiBins) };
  }
}

/**
 * One bin per category, then unknown and missing: the codes are the bins, so no edges are needed
 * and a run compares with its reference whenever the category list is unchanged.
 */
class CategoricalFeatureAccumulator implements FeatureAccumulator {
  private readonly counts: Float64Array;
  private readonly unknownBin: number;

  constructor(private readonly feature: CategoricalFeature) {
    this.unknownBin = feature.categories.length;
    this.counts = new Float64Array(feature.categories.length + 2);
  }

  observeColumn(column: FeatureColumn, rowCount: number): void {
    if (!(column instanceof Int32Array)) {
      throw new VerificationInputError(
        `feature ${this.feature.name} is categorical: expected Int32Array codes, got ${column.constructor.name}`,
      );
    }
    for (let row = 0; row < rowCount; row++) this.counts[this.binOf(column[row]!)]! += 1;
  }

  summarize(): FeatureDistribution {
    return {
      kind: 'categorical',
      name: this.feature.name,
      labels: [...this.feature.categories, '(unknown)', '(missing)'],
      counts: Array.from(this.counts),
    };
  }

  /** Codes outside the category list count as unknown, as the preprocessor treats them. */
  private binOf(code: number): number {
    if (code >= 0 && code < this.unknownBin) return code;
    return code === CATEGORY_MISSING ? this.unknownBin + 1 : this.unknownBin;
  }
}
