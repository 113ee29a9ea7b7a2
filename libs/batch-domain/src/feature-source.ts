import { type StringColumn } from '@platform/columnar';
import { type EpochMs } from '@platform/domain';
import { type FeatureColumns, type ModelManifest } from '@platform/model-package';
import { type Deployment } from './deployment';

/**
 * How a source is read, decided with its row count so that the read matches it. A snapshot source
 * in general merges the model's feature events into each entity's latest base row
 * ('merge-events'); with no events under the cut-off it only picks each entity's latest base row
 * ('latest-base-rows'); and when every entity also has a single base row there, the base rows are
 * read as they are ('base-rows': no sort, no join), as table and query sources always are.
 */
export type SourceReadPlan = 'merge-events' | 'latest-base-rows' | 'base-rows';

/** What one run reads, fixed when it starts: re-reading the same snapshot yields the same rows. */
export interface SourceSnapshot {
  /** Event-time watermark the run reads up to: the run's data cut-off. */
  readonly dataCutoff: EpochMs;
  /** Rows the source holds under the cut-off and filter: verification's row-parity reference. */
  readonly rowCount: number;
  /**
   * Disjoint parts (by a hash of the entity key) the source is read in, one after the other, so a
   * snapshot far larger than one query's memory is still read; 1 for sources that need no sort.
   */
  readonly shardCount: number;
  readonly readPlan: SourceReadPlan;
}

/** A bounded chunk of source rows, already in the scorer's input form. */
export interface SourceChunk {
  readonly rowCount: number;
  /** Entity ids as bytes, exactly as stored. */
  readonly entityIds: StringColumn;
  /** Numeric features as Float64 (NaN = missing), categorical as Int32 codes (see FeaturePreprocessor). */
  readonly features: FeatureColumns;
  /** The deployment's segment columns, as text. */
  readonly segments: Readonly<Record<string, StringColumn>>;
}

/** Where a deployment's entities come from (ClickHouse in production). */
export interface FeatureSource {
  /** Fixes the run's cut-off and counts its rows; the manifest names the features the snapshot carries. */
  snapshot(deployment: Deployment, manifest: ModelManifest, now: EpochMs): Promise<SourceSnapshot>;
  read(deployment: Deployment, manifest: ModelManifest, snapshot: SourceSnapshot): AsyncIterable<SourceChunk>;
}
