import { type EpochMs } from '@platform/domain';
import { type RunRowSink } from './batch-run-table';

/**
 * A run's row count and mean outputs (as wide as the widest row), accumulated while the run streams
 * by, for a run too large to hold: the global default of a store-backed model, summed in the same
 * order and precision as `BatchRunTable.meanOutputs`.
 */
export class RunOutputMeans implements RunRowSink {
  private readonly sums: number[] = [];
  private readonly counts: number[] = [];
  private rows = 0;

  get rowCount(): number {
    return this.rows;
  }

  append(_entityId: string, outputs: ArrayLike<number>, _scoredAt: EpochMs, _segmentValues: readonly string[]): void {
    this.rows++;
    for (let position = 0; position < outputs.length; position++) {
      this.sums[position] = (this.sums[position] ?? 0) + outputs[position]!;
      this.counts[position] = (this.counts[position] ?? 0) + 1;
    }
  }

  meanOutputs(): number[] {
    return this.sums.map((sum, position) => sum / this.counts[position]!);
  }
}
