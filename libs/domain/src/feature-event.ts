import { type EpochMs, type SourceOffset } from './predictions';

/**
 * One feature event of the master dataset, as stored. Numeric and categorical features are kept
 * apart so both engines can store them as typed parallel arrays (18.16 has no Map type); a
 * feature absent from both is missing, which the model's preprocessing may impute.
 */
export interface FeatureEvent {
  readonly model: string;
  readonly entityId: string;
  readonly eventId: string;
  readonly eventTime: EpochMs;
  readonly numericFeatures: Readonly<Record<string, number>>;
  readonly categoricalFeatures: Readonly<Record<string, string>>;
  readonly source: SourceOffset;
  readonly ingestedAt: EpochMs;
}
