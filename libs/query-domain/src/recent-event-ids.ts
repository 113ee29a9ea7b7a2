import { type EpochMs, type SpeedPrediction } from '@platform/domain';

/**
 * Speed rows seen within the tail's overlap window. The tail re-reads the last `overlapMs` of
 * speed rows on every poll (rows become visible out of scored-at order), so each row is read
 * several times; this tells a row seen before from a new one, and forgets rows once they are older
 * than the window, so memory stays bounded by the rows of one window. A row is its entity, event,
 * model version, event time and scoring time: a catch-up's re-score of an event with a new version,
 * or a redelivery scored again, is a new row for the serving state to weigh.
 */
export class RecentEventIds {
  private readonly scoredAtByKey = new Map<string, EpochMs>();

  get size(): number {
    return this.scoredAtByKey.size;
  }

  /** Records the row; false when it was already recorded (a re-read). */
  add(row: Pick<SpeedPrediction, 'entityId' | 'eventId' | 'modelVersion' | 'eventTime' | 'scoredAt'>): boolean {
    const { entityId, eventId, modelVersion, eventTime, scoredAt } = row;
    // JSON of the fields: no separator character an id could contain can make two rows collide.
    const key = JSON.stringify([entityId, eventId, modelVersion, eventTime, scoredAt]);
    if (this.scoredAtByKey.has(key)) return false;
    this.scoredAtByKey.set(key, scoredAt);
    return true;
  }

  /** Forgets ids scored before `before`: the next poll no longer re-reads them. */
  forgetBefore(before: EpochMs): void {
    for (const [key, scoredAt] of this.scoredAtByKey) {
      if (scoredAt < before) this.scoredAtByKey.delete(key);
    }
  }
}
