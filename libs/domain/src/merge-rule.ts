import { type BatchPrediction, type EpochMs, type SpeedPrediction } from './predictions';
import { type CurrentRun } from './serving-pointer';
import { compareUtf8 } from './utf8-order';

/**
 * The merge rule, in one place. For one entity of one model:
 * - a speed prediction is eligible when it was scored with the current run's model version and
 *   its event time is after the run's data cut-off (older events are already in the run);
 * - among eligible speed predictions the latest event time wins, ties broken by the larger
 *   event id (bytewise, as ClickHouse orders strings); redeliveries of one event are equal;
 * - with no eligible speed prediction, the current run's batch prediction answers;
 * - with neither, there is no merged prediction (the query layer falls back to cold start).
 * The SQL view `predictions_latest` implements the same rule; tests hold the two together.
 */
export type MergedPrediction =
  | {
      readonly source: 'speed';
      readonly model: string;
      readonly entityId: string;
      readonly runId: string;
      readonly modelVersion: string;
      readonly dataCutoff: EpochMs;
      readonly outputs: readonly number[];
      readonly scoredAt: EpochMs;
      readonly eventId: string;
      readonly eventTime: EpochMs;
    }
  | {
      readonly source: 'batch';
      readonly model: string;
      readonly entityId: string;
      readonly runId: string;
      readonly modelVersion: string;
      readonly dataCutoff: EpochMs;
      readonly outputs: readonly number[];
      readonly scoredAt: EpochMs;
    };

export function isEligibleSpeedPrediction(row: SpeedPrediction, current: CurrentRun): boolean {
  return row.modelVersion === current.modelVersion && row.eventTime > current.dataCutoff;
}

/** Positive when `a` should be served rather than `b` (both eligible). */
export function compareSpeedPredictions(a: SpeedPrediction, b: SpeedPrediction): number {
  if (a.eventTime !== b.eventTime) return a.eventTime - b.eventTime;
  return compareUtf8(a.eventId, b.eventId);
}

export function mergePrediction(
  current: CurrentRun | undefined,
  batch: BatchPrediction | undefined,
  speedRows: Iterable<SpeedPrediction>,
): MergedPrediction | undefined {
  if (current === undefined) return undefined;
  let winner: SpeedPrediction | undefined;
  for (const row of speedRows) {
    if (!isEligibleSpeedPrediction(row, current)) continue;
    if (winner === undefined || compareSpeedPredictions(row, winner) > 0) winner = row;
  }
  const run = { runId: current.runId, modelVersion: current.modelVersion, dataCutoff: current.dataCutoff };
  if (winner !== undefined) {
    return {
      source: 'speed',
      model: winner.model,
      entityId: winner.entityId,
      ...run,
      outputs: winner.outputs,
      scoredAt: winner.scoredAt,
      eventId: winner.eventId,
      eventTime: winner.eventTime,
    };
  }
  if (batch !== undefined && batch.runId === current.runId) {
    return {
      source: 'batch',
      model: batch.model,
      entityId: batch.entityId,
      ...run,
      outputs: batch.outputs,
      scoredAt: batch.scoredAt,
    };
  }
  return undefined;
}
