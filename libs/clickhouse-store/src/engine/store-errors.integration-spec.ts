import { ClickHouseEngine } from './clickhouse-engine';
import { StoreQueryError, StoreUnavailableError } from './store-errors';
import { ENGINE_KINDS, uniqueName, useTestEngine } from '../testing';

describe.each(ENGINE_KINDS)('error classification on %s', (kind) => {
  const engine = useTestEngine(kind, { migrate: false });

  it('classifies a syntax error as a non-retriable query error with its code', async () => {
    const error = await engine()
      .queryRows('SELEC 1', 'probe syntax')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreQueryError);
    expect(error).toMatchObject({ retriable: false, clickhouseCode: 62, engine: kind, operation: 'probe syntax' });
    expect((error as Error).message).toMatch(/^probe syntax failed on (server|chdb): /);
  });

  it('classifies an unknown table as a non-retriable query error', async () => {
    const error = await engine()
      .command(`INSERT INTO ${engine().table('missing')} VALUES (1)`, 'probe unknown table')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreQueryError);
    expect(error).toMatchObject({ retriable: false, clickhouseCode: 60 });
  });
});

describe('error classification of an unreachable server', () => {
  it('is a retriable unavailable error', async () => {
    // Port 9 (discard) on loopback: nothing listens there, the connection is refused at once.
    const error = await ClickHouseEngine.open({
      kind: 'server',
      url: 'http://127.0.0.1:9',
      database: uniqueName('unreachable'),
      requestTimeoutMs: 2_000,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ retriable: true, engine: 'server', operation: 'create database' });
  });
});
