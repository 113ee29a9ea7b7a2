export * from './speed-layer.module';
