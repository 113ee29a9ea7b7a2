/** One per-segment aggregate of a run, as the batch layer records it (segment_aggregates). */
export interface SegmentAggregate {
  readonly segmentColumns: readonly string[];
  readonly segmentValues: readonly string[];
  readonly rowCount: number;
  readonly outputMeans: readonly number[];
}

/** An entity's segment attributes by column name, e.g. `{ region: 'north' }`. */
export type SegmentAttributes = Readonly<Record<string, string>>;

export type FallbackBasis = 'segment' | 'global' | 'none';

export interface FallbackAnswer {
  readonly basis: FallbackBasis;
  readonly outputs: readonly number[];
}

const NO_ANSWER: FallbackAnswer = { basis: 'none', outputs: [] };

/**
 * Cold start for entities the run never scored and the speed layer has not seen: the mean outputs
 * of the entity's segment in the current run (given all of its segment attributes), else the
 * model's global default (the run's mean outputs), else nothing (an empty run).
 */
export class ColdStartFallback {
  /** The columns that define a segment for this run, in order; empty when the model has none. */
  readonly segmentColumns: readonly string[];
  private readonly meansBySegment = new Map<string, readonly number[]>();
  private readonly global: FallbackAnswer;

  constructor(aggregates: readonly SegmentAggregate[], globalMeanOutputs: readonly number[]) {
    this.segmentColumns = aggregates[0]?.segmentColumns ?? [];
    for (const aggregate of aggregates) {
      this.meansBySegment.set(segmentKey(aggregate.segmentValues), aggregate.outputMeans);
    }
    this.global = globalMeanOutputs.length === 0 ? NO_ANSWER : { basis: 'global', outputs: globalMeanOutputs };
  }

  get segmentCount(): number {
    return this.meansBySegment.size;
  }

  answer(attributes: SegmentAttributes | undefined): FallbackAnswer {
    if (attributes !== undefined && this.segmentColumns.length > 0) {
      const values = this.segmentColumns.map((column) => attributes[column]);
      if (values.every((value) => value !== undefined)) {
        const means = this.meansBySegment.get(segmentKey(values as string[]));
        if (means !== undefined) return { basis: 'segment', outputs: means };
      }
    }
    return this.global;
  }
}

function segmentKey(values: readonly string[]): string {
  return JSON.stringify(values);
}
