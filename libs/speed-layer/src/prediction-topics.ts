import { SPEED_PREDICTION_SCHEMA, type SpeedPredictionMessage } from '@platform/domain';
import { type EventStream, type EventStreamProducer, type OutgoingMessage } from '@platform/event-stream';
import { type ModelManifest } from '@platform/model-package';
import { type ScoredEvents } from './event-scorer';

/**
 * Output topics: for the models that have one, every speed prediction written to ClickHouse is
 * also published (key = entity id) for downstream consumers, after the write and before the
 * offsets move, so at least once; (eventId, modelVersion) identifies a prediction, so consumers
 * de-duplicate redeliveries and catch-up re-scores by it. The message contract is libs/domain's.
 */
export class PredictionTopics {
  private readonly producer: EventStreamProducer;

  constructor(
    stream: EventStream,
    /** Model → its output topic; models absent here publish nothing. */
    readonly topicsByModel: ReadonlyMap<string, string>,
    private readonly manifests: () => ReadonlyMap<string, ModelManifest>,
  ) {
    this.producer = stream.createProducer();
  }

  connect(): Promise<void> {
    return this.topicsByModel.size === 0 ? Promise.resolve() : this.producer.connect();
  }

  disconnect(): Promise<void> {
    return this.topicsByModel.size === 0 ? Promise.resolve() : this.producer.disconnect();
  }

  /** Resolves once the broker has every message. Models without an output topic cost nothing here. */
  async publish(scored: readonly ScoredEvents[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    const manifests = this.manifests();
    for (const part of scored) {
      const topic = this.topicsByModel.get(part.model);
      const manifest = manifests.get(part.model);
      if (topic === undefined || manifest === undefined) continue;
      const messages = byTopic.get(topic) ?? [];
      byTopic.set(topic, messages);
      part.events.forEach((event, row) => {
        const message: SpeedPredictionMessage = {
          schema: SPEED_PREDICTION_SCHEMA,
          model: part.model,
          modelVersion: part.modelVersion,
          entityId: event.entityId,
          eventId: event.eventId,
          eventTime: event.eventTime,
          outputs: Object.fromEntries(manifest.outputs.map((output, index) => [output.name, part.outputs[row * part.width + index]!])),
          scoredAt: part.scoredAt,
        };
        messages.push({ key: event.entityId, value: JSON.stringify(message) });
      });
    }
    await Promise.all([...byTopic].map(([topic, messages]) => this.producer.send(topic, messages)));
  }
}
