import { type EpochMs } from '@platform/domain';

/**
 * Event ids seen within the tail's overlap window. The tail re-reads the last `overlapMs` of
 * speed rows on every poll (rows become visible out of scored-at order), so each row is read
 * several times; this tells a row seen before from a new one, and forgets ids once they are older
 * than the window, so memory stays bounded by the rows of one window.
 */
export class RecentEventIds {
  private readonly scoredAtById = new Map<string, EpochMs>();

  get size(): number {
    return this.scoredAtById.size;
  }

  /** Records the id; false when it was already recorded (a re-read or a redelivery). */
  add(eventId: string, scoredAt: EpochMs): boolean {
    if (this.scoredAtById.has(eventId)) return false;
    this.scoredAtById.set(eventId, scoredAt);
    return true;
  }

  /** Forgets ids scored before `before`: the next poll no longer re-reads them. */
  forgetBefore(before: EpochMs): void {
    for (const [eventId, scoredAt] of this.scoredAtById) {
      if (scoredAt < before) this.scoredAtById.delete(eventId);
    }
  }
}
