export * from './speed-layer.module';
export { FEATURE_EVENTS_BODY_LIMIT_BYTES } from './feature-events.controller';
