import { type EpochMs } from '@platform/domain';
import { type LoadedModel } from '@platform/model-package';

/** The model the speed layer scores a deployment with: the current run's version and cut-off. */
export interface ServingModel {
  readonly modelVersion: string;
  /** Events at or before it are late: kept in the master dataset, not scored. */
  readonly dataCutoff: EpochMs;
  readonly model: LoadedModel;
}
