export * from './catch-up';
export * from './feature-event-intake';
export * from './ingest-feature-events';
export * from './prediction-topics';
export * from './serving-model';
export * from './serving-model-catalog';
export * from './speed-consumer';
export * from './speed-consumer-assembly';
