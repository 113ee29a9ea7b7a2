import { parseSpeedPredictionMessage, type SpeedPrediction } from '@platform/domain';
import { type ConsumedMessage } from '@platform/event-stream';

export type ParsedSpeedPrediction = { readonly row: SpeedPrediction } | { readonly problem: string };

/**
 * One output-topic message (the `speed-prediction/v1` contract of libs/domain) as the speed row it
 * announces, or what is wrong with it. Scores are rounded to Float32 as `speed_predictions` stores
 * them, so a row served from the topic is the row a ClickHouse read gives. `source` is the
 * message's own position in the output topic.
 */
export function speedRowOfMessage(consumed: ConsumedMessage, model: string): ParsedSpeedPrediction {
  if (consumed.value === null) return { problem: 'a tombstone (no value)' };
  const parsed = parseSpeedPredictionMessage(consumed.value.toString('utf8'), model);
  if ('problem' in parsed) return parsed;
  const { message } = parsed;
  return {
    row: {
      model,
      modelVersion: message.modelVersion,
      entityId: message.entityId,
      eventId: message.eventId,
      eventTime: message.eventTime,
      outputs: Object.values(message.outputs).map((score) => Math.fround(score)),
      scoredAt: message.scoredAt,
      source: { topic: consumed.topic, partition: consumed.partition, offset: consumed.offset },
    },
  };
}
