export * from './model-manifest-file';
export * from './directory-model-package-store';
