export * from './serving-state-reader';
export * from './speed-tail';
export * from './serving-state-sync';
export * from './live-feed';
