export * from './memory-budget';
export * from './batch-run-table';
export * from './speed-overlay';
export * from './recent-event-ids';
export * from './cold-start-fallback';
export * from './served-prediction';
export * from './model-serving-state';
export * from './serving-state';
