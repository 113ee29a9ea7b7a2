export * from './ingest-feature-events';
export * from './serving-model-catalog';
export * from './speed-consumer';
