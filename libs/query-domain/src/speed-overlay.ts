import {
  compareSpeedPredictions,
  type CurrentRun,
  isEligibleSpeedPrediction,
  type SpeedPrediction,
} from '@platform/domain';

/**
 * The speed predictions that can win under one current run, reduced to the winner per entity.
 * Eligibility and order come from the merge rule in libs/domain, so offering rows in any order,
 * any number of times, leaves the same winner the rule picks from all of them; a row that can
 * never be served under this run (older than the cut-off, another model version) is not kept.
 */
export class SpeedOverlay {
  private readonly winners = new Map<string, SpeedPrediction>();

  constructor(private readonly current: CurrentRun) {}

  get size(): number {
    return this.winners.size;
  }

  /**
   * True when the row became its entity's served speed prediction. Of two rows of one event (a
   * redelivery scored again), the later scored is kept, as ClickHouse keeps it once parts merge, so
   * the state is the same whatever order the rows come in; that is not reported as a new answer.
   */
  offer(row: SpeedPrediction): boolean {
    if (!isEligibleSpeedPrediction(row, this.current)) return false;
    const winner = this.winners.get(row.entityId);
    if (winner !== undefined) {
      const order = compareSpeedPredictions(row, winner);
      if (order < 0) return false;
      if (order === 0) {
        if (row.scoredAt > winner.scoredAt) this.winners.set(row.entityId, row);
        return false;
      }
    }
    this.winners.set(row.entityId, row);
    return true;
  }

  winner(entityId: string): SpeedPrediction | undefined {
    return this.winners.get(entityId);
  }

  entityIds(): IterableIterator<string> {
    return this.winners.keys();
  }
}
