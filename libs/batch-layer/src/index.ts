export * from './batch-runner';
export * from './file-run-lock';
export * from './kafka-run-lock';
export * from './batch-operations';
export * from './deployments-file';
export * from './batch-layer-assembly';
