export * from './model-manifest';
export * from './feature-preprocessor';
export * from './model-runtime';
export * from './model-registry';
