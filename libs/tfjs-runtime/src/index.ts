export * from './tensorflow-backend';
export * from './model-files';
export * from './tfjs-model-runtime';
export * from './model-mismatch-error';
