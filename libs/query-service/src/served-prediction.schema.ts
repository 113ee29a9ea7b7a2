import { type SchemaObject } from '@nestjs/swagger';

/** JSON Schema of a ServedPrediction (libs/query-domain), for the OpenAPI document. */
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
    outputs: { type: 'array', items: { type: 'number' } },
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
