import { type SchemaObject } from '@nestjs/swagger';

/**
 * JSON Schema of a ServedPrediction (libs/query-domain): for the OpenAPI document and, through
 * `servedPredictionsResponse`, for serializing the hot routes' answers.
 */
export const SERVED_PREDICTION_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['model', 'entityId', 'source', 'fallback', 'runId', 'modelVersion', 'dataCutoff', 'outputs', 'scoredAt', 'eventId', 'eventTime', 'freshness'],
  properties: {
    model: { type: 'string' },
    entityId: { type: 'string' },
    source: { type: 'string', enum: ['batch', 'speed', 'fallback'], description: 'which layer answered' },
    fallback: {
      type: 'string',
      nullable: true,
      enum: ['segment', 'global', 'none'],
      description: "cold start only: the segment's mean, the model's global default, or nothing (an empty run)",
    },
    runId: { type: 'string', description: 'the current run of the model' },
    modelVersion: { type: 'string' },
    dataCutoff: { type: 'integer', description: "the run's event-time watermark, epoch ms" },
    outputs: { type: 'array', items: { type: 'number', nullable: true, description: 'null where the output is NaN or infinite' } },
    scoredAt: { type: 'integer', nullable: true, description: 'epoch ms; null for a fallback' },
    eventId: { type: 'string', nullable: true, description: 'speed answers only' },
    eventTime: { type: 'integer', nullable: true, description: 'speed answers only, epoch ms' },
    freshness: {
      type: 'object',
      required: ['batchLoadedAt', 'speedAsOf'],
      properties: {
        batchLoadedAt: { type: 'integer', description: 'when the run was loaded into memory, epoch ms' },
        speedAsOf: { type: 'integer', description: 'speed rows written up to this time are served, epoch ms' },
      },
    },
  },
};

/**
 * Fastify route schema (`@RouteSchema`) whose 200 answer fast-json-stringify serializes from
 * SERVED_PREDICTION_SCHEMA: `predictions` wraps it in a `{ predictions: [...] }` object. Outputs
 * are left untyped there, so they go through JSON.stringify as before: fast-json-stringify throws
 * on a NaN number where JSON.stringify writes null (a model may output NaN, and a fallback's mean
 * of NaN is NaN). Every other field is typed, and the schema names every field an answer has, so
 * nothing is dropped.
 */
export function servedPredictionsResponse(shape: 'one' | 'predictions'): { response: { 200: SchemaObject } } {
  const prediction: SchemaObject = {
    ...SERVED_PREDICTION_SCHEMA,
    properties: { ...SERVED_PREDICTION_SCHEMA.properties, outputs: { type: 'array', items: {} } },
  };
  const body: SchemaObject =
    shape === 'one' ? prediction : { type: 'object', required: ['predictions'], properties: { predictions: { type: 'array', items: prediction } } };
  return { response: { 200: body } };
}
