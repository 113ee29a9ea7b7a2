/** Milliseconds since the Unix epoch, UTC. ClickHouse 18.16 has no DateTime64, so times are UInt64 ms. */
export type EpochMs = number;

/** Where a Kafka message came from; kept with every row derived from it so it can be traced and replayed. */
export interface SourceOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** One row of a batch run: the model's outputs for one entity as of the run's data cut-off. */
export interface BatchPrediction {
  readonly model: string;
  readonly runId: string;
  readonly entityId: string;
  readonly outputs: readonly number[];
  readonly scoredAt: EpochMs;
}

/** One incremental prediction of the speed layer, scored from one feature event. */
export interface SpeedPrediction {
  readonly model: string;
  readonly modelVersion: string;
  readonly entityId: string;
  readonly eventId: string;
  readonly eventTime: EpochMs;
  readonly outputs: readonly number[];
  readonly scoredAt: EpochMs;
  readonly source: SourceOffset;
}
