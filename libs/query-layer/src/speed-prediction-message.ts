import { type SpeedPrediction } from '@platform/domain';
import { type ConsumedMessage } from '@platform/event-stream';

/**
 * The speed layer's output-topic contract (libs/speed-layer prediction-topics.ts publishes it; the
 * query layer may not import that lib): JSON, key = entity id, `outputs` an object of output name →
 * score in the manifest's order (names are identifiers, never integer-like, so JSON keeps that order).
 */
export const SPEED_PREDICTION_SCHEMA = 'speed-prediction/v1';

export type ParsedSpeedPrediction = { readonly row: SpeedPrediction } | { readonly problem: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * One output-topic message as the speed row it announces, or what is wrong with it. Scores are
 * rounded to Float32 as `speed_predictions` stores them, so a row served from the topic is the
 * row a ClickHouse read gives. `source` is the message's own position in the output topic.
 */
export function parseSpeedPredictionMessage(message: ConsumedMessage, model: string): ParsedSpeedPrediction {
  if (message.value === null) return { problem: 'a tombstone (no value)' };
  let value: unknown;
  try {
    value = JSON.parse(message.value.toString('utf8'));
  } catch {
    return { problem: 'not JSON' };
  }
  if (!isRecord(value)) return { problem: 'not a JSON object' };
  if (value['schema'] !== SPEED_PREDICTION_SCHEMA) return { problem: `schema is ${JSON.stringify(value['schema'])}, not ${SPEED_PREDICTION_SCHEMA}` };
  if (value['model'] !== model) return { problem: `model is ${JSON.stringify(value['model'])}, but the topic is model ${model}'s` };
  const { modelVersion, entityId, eventId, eventTime, scoredAt, outputs } = value;
  if (!nonEmptyString(modelVersion) || !nonEmptyString(entityId) || !nonEmptyString(eventId)) {
    return { problem: 'modelVersion, entityId and eventId must be non-empty strings' };
  }
  if (!Number.isSafeInteger(eventTime) || !Number.isSafeInteger(scoredAt)) return { problem: 'eventTime and scoredAt must be epoch ms integers' };
  if (!isRecord(outputs)) return { problem: 'outputs must be an object of output name to score' };
  const scores = Object.values(outputs);
  if (scores.length === 0 || !scores.every((score): score is number => typeof score === 'number' && Number.isFinite(score))) {
    return { problem: 'outputs must hold at least one finite score' };
  }
  return {
    row: {
      model,
      modelVersion,
      entityId,
      eventId,
      eventTime: eventTime as number,
      outputs: scores.map((score) => Math.fround(score)),
      scoredAt: scoredAt as number,
      source: { topic: message.topic, partition: message.partition, offset: message.offset },
    },
  };
}
