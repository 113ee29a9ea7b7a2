// Test fixtures, a secondary entry point (`@platform/clickhouse-store/testing`) so production code
// never pulls in jest globals.
export * from './flaky-tcp-proxy';
export * from './test-engines';
