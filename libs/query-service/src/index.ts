export * from './query-layer.module';
export * from './query.controller';
export * from './query-metrics';
export * from './query-request-schemas';
export * from './query-http-app';
export * from './runs.controller';
export * from './rate-limit.guard';
