export * from './source-query';
export * from './clickhouse-feature-source';
