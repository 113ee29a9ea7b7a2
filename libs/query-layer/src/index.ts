export * from './serving-state-reader';
export * from './speed-tail';
export * from './serving-state-sync';
export * from './live-feed';
export * from './speed-prediction-message';
export * from './speed-topic-feed';
export * from './topic-speed-row-source';
