import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ClickHouseEngine } from '../engine/clickhouse-engine';
import { type EngineConfig, type EngineKind } from '../engine/engine-config';
import { runMigrations } from '../migrations/migrations';

export const ENGINE_KINDS: readonly EngineKind[] = ['server', 'chdb'];

const REPO_ROOT = join(__dirname, '..', '..', '..', '..');

/** A database name no other test uses, so tests never share state. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * The server the integration tier talks to: CLICKHOUSE_URL (set by `npm test`, a compose stack or
 * a cluster). There is deliberately no fallback: a test tier that silently skipped its real engine
 * could not fail.
 */
export function clickhouseUrl(): string {
  const url = process.env['CLICKHOUSE_URL'];
  if (url === undefined || url === '') {
    throw new Error(
      'CLICKHOUSE_URL is not set. Run the integration tier through `npm test`, or start a server with ' +
        '`eval "$(infra/clickhouse/start.sh)"` and export CLICKHOUSE_URL.',
    );
  }
  return url;
}

/** One chDB directory per jest worker: chDB allows a single data path per process. */
export function chdbPathForThisWorker(): string {
  return join(REPO_ROOT, '.run', 'chdb-test', `worker-${process.env['JEST_WORKER_ID'] ?? '0'}`);
}

export function testEngineConfig(kind: EngineKind, database: string): EngineConfig {
  return kind === 'server'
    ? { kind, url: clickhouseUrl(), database }
    : { kind, path: chdbPathForThisWorker(), database };
}

export interface TestEngineOptions {
  /** Apply the platform's migrations after creating the database (default true). */
  readonly migrate?: boolean;
}

/**
 * Opens an engine on a fresh database for the enclosing describe block and drops it afterwards.
 * Use inside `describe.each(ENGINE_KINDS)` so every contract test runs on both engines.
 */
export function useTestEngine(kind: EngineKind, options: TestEngineOptions = {}): () => ClickHouseEngine {
  let engine: ClickHouseEngine | undefined;
  beforeAll(async () => {
    engine = await ClickHouseEngine.open(testEngineConfig(kind, uniqueName('test')));
    if (options.migrate ?? true) await runMigrations(engine);
  });
  afterAll(async () => {
    if (engine === undefined) return;
    await engine.dropDatabase();
    await engine.close();
  });
  return () => {
    if (engine === undefined) throw new Error('the test engine is opened in beforeAll; use it inside a test');
    return engine;
  };
}
