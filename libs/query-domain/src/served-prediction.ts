import { type EpochMs } from '@platform/domain';
import { type FallbackBasis } from './cold-start-fallback';

export type PredictionSource = 'batch' | 'speed' | 'fallback';

/** How current the serving state behind an answer is. */
export interface StateFreshness {
  /** When the current run was loaded into memory. */
  readonly batchLoadedAt: EpochMs;
  /** Speed rows written up to this time are in the state (the tail's last poll, minus nothing it missed). */
  readonly speedAsOf: EpochMs;
}

/**
 * One merged prediction as the query layer serves it, with its provenance. Fields that do not
 * apply to a source are null rather than absent, so every answer has the same JSON shape.
 */
export interface ServedPrediction {
  readonly model: string;
  readonly entityId: string;
  readonly source: PredictionSource;
  /** Which cold-start value answered (fallback answers only). */
  readonly fallback: FallbackBasis | null;
  readonly runId: string;
  readonly modelVersion: string;
  readonly dataCutoff: EpochMs;
  readonly outputs: readonly number[];
  readonly scoredAt: EpochMs | null;
  readonly eventId: string | null;
  readonly eventTime: EpochMs | null;
  readonly freshness: StateFreshness;
}
