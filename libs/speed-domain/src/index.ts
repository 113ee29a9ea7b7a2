export {
  FEATURE_EVENT_SCHEMA_V1,
  featureEventV1Schema,
  featureEventV1JsonSchema,
  type FeatureEventV1,
  type FeatureEventV1Input,
} from './feature-event-contract';
export * from './validate-feature-event';
export * from './dead-letter';
export { MAX_DETAIL_CHARS } from './issue-detail';
export * from './late-events';
export * from './micro-batcher';
export * from './dedupe';
