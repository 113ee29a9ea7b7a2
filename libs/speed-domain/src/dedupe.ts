/** What identifies a delivery of an event; a `FeatureEvent` is one. */
export interface DeliveredEvent {
  readonly model: string;
  readonly eventId: string;
  readonly source: { readonly offset: string };
}

export interface DedupedBatch<T> {
  /** One per (model, event id), in the order of the deliveries kept. */
  readonly events: T[];
  /** Deliveries left out because a later one of the same event is in the batch. */
  readonly dropped: number;
}

/**
 * Keeps one delivery per (model, event id) within a micro-batch: the one with the highest offset
 * (the later in the batch on equal offsets), so a re-sent event supersedes the earlier copy, as
 * the last insert does in `speed_predictions` (a ReplacingMergeTree), which dedupes across batches.
 * Offsets are compared as numbers; with messages keyed by entity id, copies of one event share a
 * partition, where offsets order them.
 */
export function dedupeRedeliveries<T extends DeliveredEvent>(events: readonly T[]): DedupedBatch<T> {
  const kept = new Map<string, Map<string, { index: number; offset: bigint }>>();
  events.forEach((event, index) => {
    let byId = kept.get(event.model);
    if (byId === undefined) {
      byId = new Map();
      kept.set(event.model, byId);
    }
    const offset = BigInt(event.source.offset);
    const current = byId.get(event.eventId);
    if (current === undefined || offset >= current.offset) byId.set(event.eventId, { index, offset });
  });
  const keptIndexes = new Set<number>();
  for (const byId of kept.values()) for (const { index } of byId.values()) keptIndexes.add(index);
  return { events: events.filter((_, index) => keptIndexes.has(index)), dropped: events.length - keptIndexes.size };
}
