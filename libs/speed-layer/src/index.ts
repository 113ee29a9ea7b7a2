export * from './ingest-feature-events';
