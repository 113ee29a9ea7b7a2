export * from './column-types';
export * from './column-batch';
export * from './bulk-columnar-io';
