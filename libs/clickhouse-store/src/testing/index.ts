// Test fixtures, a secondary entry point (`@platform/clickhouse-store/testing`) so production code
// never pulls in jest globals.
export * from './test-engines';
