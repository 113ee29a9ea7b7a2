import { type EpochMs } from '@platform/domain';

/**
 * Events seen within the tail's overlap window, keyed by entity and event id (the store keys
 * speed rows by both, so two entities' events may share an id). The tail re-reads the last `overlapMs` of
 * speed rows on every poll (rows become visible out of scored-at order), so each row is read
 * several times; this tells a row seen before from a new one, and forgets ids once they are older
 * than the window, so memory stays bounded by the rows of one window.
 */
export class RecentEventIds {
  private readonly scoredAtByKey = new Map<string, EpochMs>();

  get size(): number {
    return this.scoredAtByKey.size;
  }

  /** Records the event; false when it was already recorded (a re-read or a redelivery). */
  add(entityId: string, eventId: string, scoredAt: EpochMs): boolean {
    // JSON of the pair: no separator character an id could contain can make two pairs collide.
    const key = JSON.stringify([entityId, eventId]);
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
