export * from './deployment';
export * from './feature-source';
export * from './run-output';
export * from './run-batch';
export * from './run-lock';
export * from './recover-interrupted-runs';
export * from './rollback-run';
export * from './run-progress';
