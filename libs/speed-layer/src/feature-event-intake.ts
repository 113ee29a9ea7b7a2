import { type EpochMs, PlatformError } from '@platform/domain';
import { type OutgoingMessage } from '@platform/event-stream';
import { type ModelManifest } from '@platform/model-package';
import { type DeadLetterReason, validateFeatureEvent } from '@platform/speed-domain';

export interface IntakeRejection {
  /** Position of the event in the submitted list. */
  readonly index: number;
  readonly reason: DeadLetterReason;
  readonly detail: string;
}

export interface IntakeOutcome {
  readonly accepted: number;
  readonly rejected: readonly IntakeRejection[];
  /** True when the accepted events are in ClickHouse; false when they are durably queued (Kafka). */
  readonly written: boolean;
}

export interface FeatureEventIntakeDependencies {
  /**
   * Hands the accepted events to the speed layer's feature-events topic. With Kafka it resolves
   * once the broker has them; in the embedded mode once the speed consumer has written them.
   */
  readonly send: (messages: readonly OutgoingMessage[]) => Promise<void>;
  readonly resolvesWhenWritten: boolean;
  /** Manifests of the models the speed layer serves (events of others are refused). */
  readonly manifests: () => ReadonlyMap<string, ModelManifest>;
  readonly allowedClockSkewMs: number;
  readonly clock?: () => EpochMs;
}

/** The events were queued but not written in time (the store is down or slow); they stay queued. */
export class EventsNotYetWrittenError extends PlatformError {
  readonly code = 'EVENTS_NOT_YET_WRITTEN';
  readonly retriable = true;
}

/**
 * Feature events submitted over HTTP (for producers without a Kafka client, and the embedded mode
 * where no Kafka runs) into the same pipeline as Kafka's: each event is checked against the event
 * contract here, so the caller learns at once which ones were refused and why (nothing of theirs
 * goes to the dead-letter topic), and the accepted ones go to the feature-events topic, keyed by
 * entity id, where the speed consumer validates, stores and scores them as any other.
 */
export class FeatureEventIntake {
  private readonly clock: () => EpochMs;

  constructor(private readonly deps: FeatureEventIntakeDependencies) {
    this.clock = deps.clock ?? Date.now;
  }

  async submit(events: readonly unknown[]): Promise<IntakeOutcome> {
    const context = { now: this.clock(), allowedClockSkewMs: this.deps.allowedClockSkewMs, manifests: this.deps.manifests() };
    const accepted: OutgoingMessage[] = [];
    const rejected: IntakeRejection[] = [];
    events.forEach((event, index) => {
      const value = Buffer.from(JSON.stringify(event) ?? '', 'utf8');
      const validation = validateFeatureEvent(value, context);
      if (validation.ok) accepted.push({ key: validation.event.entityId, value });
      else rejected.push({ index, reason: validation.reason, detail: validation.detail });
    });
    if (accepted.length > 0) await this.deps.send(accepted);
    return { accepted: accepted.length, rejected, written: accepted.length > 0 && this.deps.resolvesWhenWritten };
  }
}
