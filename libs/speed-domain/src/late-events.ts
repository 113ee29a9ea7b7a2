import { type EpochMs } from '@platform/domain';

/**
 * An event at or before the current run's data cut-off is late: the run already covers that time,
 * and the merge rule only serves speed predictions with event times after the cut-off. A late
 * event still goes to the master dataset (the next run reads it) and is counted, but scoring it
 * would write a row nobody is ever served.
 */
export function isLateEvent(event: { readonly eventTime: EpochMs }, dataCutoff: EpochMs): boolean {
  return event.eventTime <= dataCutoff;
}

/** Splits one model's events against its current run's cut-off, keeping their order. */
export function splitLateEvents<T extends { readonly eventTime: EpochMs }>(
  events: readonly T[],
  dataCutoff: EpochMs,
): { readonly onTime: T[]; readonly late: T[] } {
  const onTime: T[] = [];
  const late: T[] = [];
  for (const event of events) (isLateEvent(event, dataCutoff) ? late : onTime).push(event);
  return { onTime, late };
}
