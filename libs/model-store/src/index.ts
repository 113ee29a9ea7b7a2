export * from './directory-model-package-store';
