export * from './api-key.guard';
export * from './platform-error.filter';
export * from './metrics';
export * from './logging';
export * from './http-app';
export * from './readiness';
export * from './zod-validation.pipe';
export * from './platform-core.module';
