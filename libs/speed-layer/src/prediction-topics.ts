import { type SpeedPrediction } from '@platform/domain';
import { type EventStream, type EventStreamProducer, type OutgoingMessage } from '@platform/event-stream';
import { type ModelManifest } from '@platform/model-package';

export const SPEED_PREDICTION_SCHEMA = 'speed-prediction/v1';

/** One message of an output topic (value JSON; key = entity id). */
export interface SpeedPredictionMessage {
  readonly schema: typeof SPEED_PREDICTION_SCHEMA;
  readonly model: string;
  readonly modelVersion: string;
  readonly entityId: string;
  readonly eventId: string;
  /** Epoch ms. */
  readonly eventTime: number;
  /** Output name → score, as the model's manifest names them. */
  readonly outputs: Readonly<Record<string, number>>;
  readonly scoredAt: number;
}

/**
 * Output topics: for the models that have one, every speed prediction written to ClickHouse is
 * also published (key = entity id) for downstream consumers, after the write and before the
 * offsets move, so at least once; (eventId, modelVersion) identifies a prediction, so consumers
 * de-duplicate redeliveries and catch-up re-scores by it.
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

  /** Resolves once the broker has every message. */
  async publish(rows: readonly SpeedPrediction[]): Promise<void> {
    const byTopic = new Map<string, OutgoingMessage[]>();
    const manifests = this.manifests();
    for (const row of rows) {
      const topic = this.topicsByModel.get(row.model);
      const manifest = manifests.get(row.model);
      if (topic === undefined || manifest === undefined) continue;
      const message: SpeedPredictionMessage = {
        schema: SPEED_PREDICTION_SCHEMA,
        model: row.model,
        modelVersion: row.modelVersion,
        entityId: row.entityId,
        eventId: row.eventId,
        eventTime: row.eventTime,
        outputs: Object.fromEntries(manifest.outputs.map((output, index) => [output.name, row.outputs[index]!])),
        scoredAt: row.scoredAt,
      };
      const messages = byTopic.get(topic) ?? [];
      messages.push({ key: row.entityId, value: JSON.stringify(message) });
      byTopic.set(topic, messages);
    }
    await Promise.all([...byTopic].map(([topic, messages]) => this.producer.send(topic, messages)));
  }
}
