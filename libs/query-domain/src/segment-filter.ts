import { InvalidInputError } from '@platform/domain';
import { type SegmentAttributes } from './cold-start-fallback';

/** One condition of a segment filter: the value wanted at a position of the run's segment columns. */
export interface SegmentCondition {
  /** 0-based position in the run's segment columns (as `segment_values` stores them). */
  readonly position: number;
  readonly value: string;
}

/**
 * A filter of ranked pages by segment (`segment.region=north`): an entity matches when its run row
 * holds every value asked for. An entity without a run row (known to the speed layer only) has no
 * segment and matches no filter.
 */
export class SegmentFilter {
  private constructor(
    /** Stable text of the conditions: equal filters share cached orders. */
    readonly key: string,
    readonly conditions: readonly SegmentCondition[],
  ) {}

  /** Undefined for no filter; refuses a column the run does not segment by, naming the ones it does. */
  static of(segmentColumns: readonly string[], attributes: SegmentAttributes | undefined): SegmentFilter | undefined {
    const entries = Object.entries(attributes ?? {});
    if (entries.length === 0) return undefined;
    const conditions = entries
      .map(([column, value]) => {
        const position = segmentColumns.indexOf(column);
        if (position < 0) {
          throw new InvalidInputError(
            `segment.${column}: the current run is not segmented by ${JSON.stringify(column)}` +
              (segmentColumns.length === 0 ? ' (it has no segment columns)' : ` (its segment columns: ${segmentColumns.join(', ')})`),
          );
        }
        return { position, value };
      })
      .sort((a, b) => a.position - b.position);
    return new SegmentFilter(JSON.stringify(conditions.map(({ position, value }) => [position, value])), conditions);
  }

  matches(segmentValues: readonly string[] | undefined): boolean {
    return segmentValues !== undefined && this.conditions.every(({ position, value }) => segmentValues[position] === value);
  }
}
