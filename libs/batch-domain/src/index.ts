export * from './deployment';
export * from './feature-source';
