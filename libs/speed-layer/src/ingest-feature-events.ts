import { type CommitPosition, commitPositionsAfter, type ConsumedMessage } from '@platform/event-stream';
import { type EpochMs, type FeatureEvent } from '@platform/domain';
import { type ModelManifest } from '@platform/model-package';
import {
  buildDeadLetterMessage,
  type DeadLetterMessage,
  type DeadLetterReason,
  dedupeRedeliveries,
  isLateEvent,
  validateFeatureEvent,
} from '@platform/speed-domain';
import { EventScorer, type ScoredEvents } from './event-scorer';
import { type ServingModel } from './serving-model';

export interface IngestDependencies {
  /** By model name; a model absent here has no published run yet: its events are kept, not scored. */
  readonly servingModels: () => ReadonlyMap<string, ServingModel>;
  /** Manifests events are validated against (every deployed model, published or not). */
  readonly manifests: () => ReadonlyMap<string, ModelManifest>;
  readonly masterDataset: { appendEvents(events: readonly FeatureEvent[]): Promise<void> };
  /** `speed_predictions`: each model's scored events, as columns. */
  readonly predictions: { insertPredictions(scored: readonly ScoredEvents[]): Promise<void> };
  /** Output topics (PredictionTopics): resolves once the broker has the written predictions. */
  readonly publishPredictions?: (scored: readonly ScoredEvents[]) => Promise<void>;
  /** Resolves once the broker has the dead letters (they must be durable before offsets move). */
  readonly sendDeadLetters: (messages: readonly DeadLetterMessage[]) => Promise<void>;
  readonly allowedClockSkewMs: number;
  readonly clock?: () => EpochMs;
}

export interface IngestOutcome {
  /** Where each partition resumes: past every message of the batch, dead letters included. */
  readonly positions: CommitPosition[];
  readonly appended: number;
  readonly scored: number;
  readonly late: number;
  /** Valid events of a model without a published run, or rows its preprocessing cannot use. */
  readonly unscored: number;
  readonly duplicates: number;
  readonly deadLettered: Partial<Record<DeadLetterReason, number>>;
  /** When every write of the batch had succeeded: the end of each message's event→written latency. */
  readonly writtenAt: EpochMs;
}

/** A micro-batch validated and de-duplicated, not yet written. */
export interface PreparedBatch {
  readonly messages: readonly ConsumedMessage[];
  /** The consumer's clock when prepared: validation, `ingestedAt` and the scoring time. */
  readonly now: EpochMs;
  /** What the events were validated against. */
  readonly manifests: ReadonlyMap<string, ModelManifest>;
  /** Valid events, one per (model, event id). */
  readonly events: readonly FeatureEvent[];
  readonly duplicates: number;
  readonly deadLetters: readonly DeadLetterMessage[];
  readonly deadLettered: Partial<Record<DeadLetterReason, number>>;
}

/** A promise's outcome as a value: it never rejects, so no rejection goes unhandled while it waits. */
function settled(promise: Promise<void>): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: unknown }> {
  return promise.then(
    () => ({ ok: true as const }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

function sameManifests(a: ReadonlyMap<string, ModelManifest>, b: ReadonlyMap<string, ModelManifest>): boolean {
  if (a.size !== b.size) return false;
  for (const [model, manifest] of a) if (b.get(model) !== manifest) return false;
  return true;
}

/**
 * One micro-batch of consumed messages into the platform, in the order that loses nothing:
 * invalid messages to the dead-letter topic, valid events appended to the master dataset, on-time
 * events scored with their model's serving version into `speed_predictions`. Only then may the
 * caller commit the returned positions; any failure throws and nothing is committed, so the batch
 * is redelivered (and de-duplicated by event id downstream).
 */
export class IngestFeatureEvents {
  private readonly clock: () => EpochMs;
  private readonly scorer = new EventScorer();

  constructor(private readonly deps: IngestDependencies) {
    this.clock = deps.clock ?? Date.now;
  }

  /** Prepares and writes one micro-batch: what a caller without pipelining runs. */
  ingest(messages: readonly ConsumedMessage[]): Promise<IngestOutcome> {
    return this.write(this.prepare(messages));
  }

  /**
   * The CPU part of a batch, no I/O: validation, dead letters built, redeliveries collapsed. A
   * consumer may prepare the next batch while this one's writes are in flight. Never throws.
   */
  prepare(messages: readonly ConsumedMessage[]): PreparedBatch {
    const now = this.clock();
    const manifests = this.deps.manifests();
    const deadLetters: DeadLetterMessage[] = [];
    const deadLettered: Partial<Record<DeadLetterReason, number>> = {};
    const valid: FeatureEvent[] = [];
    for (const message of messages) {
      const validation = validateFeatureEvent(message.value, { now, allowedClockSkewMs: this.deps.allowedClockSkewMs, manifests });
      if (validation.ok) {
        const { model, entityId, eventId, eventTime, numericFeatures, categoricalFeatures } = validation.event;
        const source = { topic: message.topic, partition: message.partition, offset: message.offset };
        valid.push({ model, entityId, eventId, eventTime, numericFeatures, categoricalFeatures, source, ingestedAt: now });
      } else {
        deadLetters.push(buildDeadLetterMessage(message, validation, now));
        deadLettered[validation.reason] = (deadLettered[validation.reason] ?? 0) + 1;
      }
    }
    const { events, dropped } = dedupeRedeliveries(valid);
    return { messages, now, manifests, events, duplicates: dropped, deadLetters, deadLettered };
  }

  /**
   * The writes of a prepared batch, in the order that loses nothing. A batch prepared against
   * manifests that have changed since (a version switch in between) is prepared again, so every
   * event is validated against the manifests of the version that scores it.
   */
  async write(batch: PreparedBatch): Promise<IngestOutcome> {
    const current = sameManifests(batch.manifests, this.deps.manifests()) ? batch : this.prepare(batch.messages);
    const { events, now, deadLetters } = current;
    if (deadLetters.length > 0) await this.deps.sendDeadLetters(deadLetters);
    // Scoring writes nothing: it runs while the append is in flight. Predictions are written only
    // once the append has succeeded, and a failed append fails the batch as before.
    const appending = events.length > 0 ? settled(this.deps.masterDataset.appendEvents(events)) : Promise.resolve({ ok: true as const });
    const scoring = await this.score(events, now).catch(async (error: unknown) => {
      await appending;
      throw error;
    });
    const append = await appending;
    if (!append.ok) throw append.error;
    if (scoring.scored > 0) {
      await this.deps.predictions.insertPredictions(scoring.byModel);
      await this.deps.publishPredictions?.(scoring.byModel);
    }
    return {
      positions: commitPositionsAfter(current.messages),
      appended: events.length,
      scored: scoring.scored,
      late: scoring.late,
      unscored: scoring.unscored,
      duplicates: current.duplicates,
      deadLettered: current.deadLettered,
      writtenAt: this.clock(),
    };
  }

  /** Scores each model's on-time events with its serving version, one tensor per model. */
  private async score(events: readonly FeatureEvent[], now: EpochMs): Promise<{ byModel: ScoredEvents[]; scored: number; late: number; unscored: number }> {
    const servingModels = this.deps.servingModels();
    const byModel = new Map<string, FeatureEvent[]>();
    let late = 0;
    let unscored = 0;
    for (const event of events) {
      const serving = servingModels.get(event.model);
      if (serving === undefined) unscored++;
      else if (isLateEvent(event, serving.dataCutoff)) late++;
      else {
        const modelEvents = byModel.get(event.model);
        if (modelEvents === undefined) byModel.set(event.model, [event]);
        else modelEvents.push(event);
      }
    }
    const scoredByModel: ScoredEvents[] = [];
    let scored = 0;
    for (const [model, modelEvents] of byModel) {
      const result = await this.scorer.score(model, servingModels.get(model)!, modelEvents, now);
      scoredByModel.push(result);
      scored += result.events.length;
      unscored += result.unscored;
    }
    return { byModel: scoredByModel, scored, late, unscored };
  }
}
