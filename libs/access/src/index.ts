export * from './api-scope';
export * from './api-key';
export * from './api-key-entry';
export * from './api-key-ring';
export * from './api-key-file';
export * from './rate-limiter';
