export * from './source-query';
export * from './clickhouse-feature-source';
export * from './clickhouse-run-output-store';
export * from './clickhouse-retention-store';
