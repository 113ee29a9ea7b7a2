import { InvalidInputError } from '@platform/domain';
import { type CategoricalFeature, inputWidth, type ModelManifest, type NumericFeature } from './model-manifest';

/**
 * Categorical values travel as codes, not strings: the index of the value in the feature's
 * `categories`, or one of these. Engines compute codes in SQL (`indexOf(categories, x) - 1`) and
 * the speed layer with `encodeCategory`, so scoring never handles a string per row.
 */
export const CATEGORY_UNKNOWN = -1;
export const CATEGORY_MISSING = -2;

/** Numeric features as floats (NaN = missing); categorical features as Int32 codes. */
export type FeatureColumn = Float32Array | Float64Array | Int32Array;
export type FeatureColumns = Readonly<Record<string, FeatureColumn>>;

export type RejectionReason = 'missing' | 'unknown-category' | 'not-finite';

export interface RowRejection {
  readonly row: number;
  readonly feature: string;
  readonly reason: RejectionReason;
}

export interface PreprocessedRows {
  /** rowCount × width, row-major: the model's input. Rejected rows are left at zero. */
  readonly matrix: Float32Array;
  readonly rowCount: number;
  readonly width: number;
  /** At most one per row: the first feature that made the row unusable. */
  readonly rejections: readonly RowRejection[];
}

export class FeatureColumnsError extends InvalidInputError {
  override readonly code = 'INVALID_FEATURE_COLUMNS';
}

interface Slot<F> {
  readonly feature: F;
  readonly offset: number;
}

/** Turns decoded feature columns into the model's input matrix as the manifest prescribes. */
export class FeaturePreprocessor {
  readonly width: number;
  private readonly numeric: Slot<NumericFeature>[] = [];
  private readonly categorical: Slot<CategoricalFeature>[] = [];
  private readonly codes = new Map<string, Map<string, number>>();

  constructor(readonly manifest: ModelManifest) {
    this.width = inputWidth(manifest);
    let offset = 0;
    for (const feature of manifest.features) {
      if (feature.type === 'numeric') {
        this.numeric.push({ feature, offset });
        offset += 1;
      } else {
        this.categorical.push({ feature, offset });
        this.codes.set(feature.name, new Map(feature.categories.map((category, index) => [category, index])));
        offset += feature.categories.length;
      }
    }
  }

  /** The code of a categorical value (undefined or null = missing). */
  encodeCategory(featureName: string, value: string | null | undefined): number {
    const codes = this.codes.get(featureName);
    if (codes === undefined) {
      throw new FeatureColumnsError(`model ${this.manifest.name} has no categorical feature ${featureName}`);
    }
    if (value === undefined || value === null) return CATEGORY_MISSING;
    return codes.get(value) ?? CATEGORY_UNKNOWN;
  }

  /**
   * `into`, when given, receives the matrix (its first rowCount × width values, zeroed first): a
   * caller scoring chunk after chunk reuses one buffer instead of allocating megabytes per chunk.
   */
  preprocess(columns: FeatureColumns, rowCount: number, into?: Float32Array): PreprocessedRows {
    const size = rowCount * this.width;
    if (into !== undefined && into.length < size) {
      throw new FeatureColumnsError(`a buffer of ${into.length} values cannot hold ${rowCount} rows of width ${this.width}`);
    }
    const matrix = into === undefined ? new Float32Array(size) : into.subarray(0, size).fill(0);
    const rejected = new Map<number, RowRejection>();
    const reject = (row: number, feature: string, reason: RejectionReason): void => {
      if (!rejected.has(row)) rejected.set(row, { row, feature, reason });
    };
    for (const { feature, offset } of this.numeric) {
      const values = this.column(columns, feature.name, rowCount, 'numeric');
      const mean = feature.standardize?.mean ?? 0;
      const std = feature.standardize?.std ?? 1;
      for (let row = 0; row < rowCount; row++) {
        let value = values[row]!;
        if (Number.isNaN(value)) {
          if (feature.impute === undefined) {
            reject(row, feature.name, 'missing');
            continue;
          }
          value = feature.impute;
        } else if (!Number.isFinite(value)) {
          reject(row, feature.name, 'not-finite');
          continue;
        }
        matrix[row * this.width + offset] = (value - mean) / std;
      }
    }
    for (const { feature, offset } of this.categorical) {
      const codes = this.column(columns, feature.name, rowCount, 'categorical');
      const slots = feature.categories.length;
      for (let row = 0; row < rowCount; row++) {
        const code = codes[row]!;
        if (code >= 0 && code < slots) matrix[row * this.width + offset + code] = 1;
        else if (code === CATEGORY_MISSING ? feature.missing === 'reject' : feature.unknown === 'reject') {
          reject(row, feature.name, code === CATEGORY_MISSING ? 'missing' : 'unknown-category');
        }
      }
    }
    for (const row of rejected.keys()) matrix.fill(0, row * this.width, (row + 1) * this.width);
    const rejections = [...rejected.values()].sort((a, b) => a.row - b.row);
    return { matrix, rowCount, width: this.width, rejections };
  }

  private column(columns: FeatureColumns, name: string, rowCount: number, kind: 'numeric' | 'categorical'): FeatureColumn {
    const values = columns[name];
    if (values === undefined) {
      throw new FeatureColumnsError(`feature column ${name} of model ${this.manifest.name} is missing`);
    }
    if ((kind === 'categorical') !== values instanceof Int32Array) {
      throw new FeatureColumnsError(
        `feature ${name} of model ${this.manifest.name} is ${kind}: expected ${kind === 'categorical' ? 'Int32Array codes' : 'Float32Array or Float64Array'}, got ${values.constructor.name}`,
      );
    }
    if (values.length < rowCount) {
      throw new FeatureColumnsError(`feature column ${name} has ${values.length} values for ${rowCount} rows`);
    }
    return values;
  }
}
