export * from './batch-layer.module';
