export * from './batch-runner';
export * from './file-run-lock';
