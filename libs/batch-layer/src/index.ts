export * from './batch-runner';
