import { type EpochMs } from './predictions';

export type ServingPointerAction = 'publish' | 'rollback';

/**
 * The run a model serves. Publishing and rolling back each append one pointer row; the latest
 * row of a model is its current run, so either action is a single insert (ClickHouse has no
 * compare-and-set, and needs none here).
 */
export interface ServingPointer {
  readonly model: string;
  readonly runId: string;
  readonly modelVersion: string;
  /** Event-time watermark the run's snapshot read up to: speed rows after it are newer. */
  readonly dataCutoff: EpochMs;
  readonly action: ServingPointerAction;
  readonly at: EpochMs;
  readonly actor: string;
}

/** The part of the pointer the merge rule needs. */
export type CurrentRun = Pick<ServingPointer, 'runId' | 'modelVersion' | 'dataCutoff'>;
