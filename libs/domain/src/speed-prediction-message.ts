/**
 * The speed layer's output-topic contract, shared by its publisher (libs/speed-layer) and its
 * readers (the query layer's topic tail, downstream consumers): JSON, key = entity id.
 * (eventId, modelVersion) identifies a prediction: readers de-duplicate redeliveries by it.
 */
export const SPEED_PREDICTION_SCHEMA = 'speed-prediction/v1';

export interface SpeedPredictionMessage {
  readonly schema: typeof SPEED_PREDICTION_SCHEMA;
  readonly model: string;
  readonly modelVersion: string;
  readonly entityId: string;
  readonly eventId: string;
  /** Epoch ms. */
  readonly eventTime: number;
  /**
   * Output name → score, in the manifest's order (output names are identifiers, never
   * integer-like, so JSON keeps that order and `Object.values` gives the outputs array).
   */
  readonly outputs: Readonly<Record<string, number>>;
  /** Epoch ms. */
  readonly scoredAt: number;
}

export type ParsedSpeedPredictionMessage = { readonly message: SpeedPredictionMessage } | { readonly problem: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/**
 * One message value as a prediction of `model`, or what is wrong with it. Never throws: a reader
 * counts and skips what does not parse.
 */
export function parseSpeedPredictionMessage(text: string, model: string): ParsedSpeedPredictionMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
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
  if (scores.length === 0 || !scores.every((score) => typeof score === 'number' && Number.isFinite(score))) {
    return { problem: 'outputs must hold at least one finite score' };
  }
  return {
    message: {
      schema: SPEED_PREDICTION_SCHEMA,
      model,
      modelVersion,
      entityId,
      eventId,
      eventTime: eventTime as number,
      outputs: outputs as Record<string, number>,
      scoredAt: scoredAt as number,
    },
  };
}
