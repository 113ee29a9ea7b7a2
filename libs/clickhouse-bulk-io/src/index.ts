export * from './server-bulk-columnar-io';
export * from './chdb-bulk-columnar-io';
export * from './bulk-columnar-io-factory';
