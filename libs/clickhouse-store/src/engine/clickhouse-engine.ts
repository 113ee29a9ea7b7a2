import { type ClickHouseClient, ClickHouseLogLevel, type ClickHouseSettings, createClient } from '@clickhouse/client';
import { Session } from 'chdb';
import { createChdbConnection } from 'chdb/connection';
import { classifyStoreError } from './classify-store-error';
import { type EngineConfig, type EngineKind } from './engine-config';
import { quoteIdentifier, type SqlFragment, trustedSql } from '../sql/sql-literal';

/**
 * JSON output settings that make both engines print the same text: 18.16 prints NaN as a bare
 * `nan` (invalid JSON) unless told to quote it, and 64-bit integers must be strings to survive
 * JSON.parse.
 */
const JSON_OUTPUT_SETTINGS: ClickHouseSettings = {
  output_format_json_quote_denormals: 1,
  output_format_json_quote_64bit_integers: 1,
};

const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

/**
 * One ClickHouse engine and database, behind the official client: HTTP for a server, chDB's
 * in-process connection for the embedded mode. Every call classifies failures into typed,
 * retriable-or-not store errors. Table names are always qualified with the database, since the
 * chDB connection has no per-client default database.
 */
export class ClickHouseEngine {
  private constructor(
    readonly kind: EngineKind,
    readonly database: string,
    readonly client: ClickHouseClient,
    /**
     * Present on chDB: a second session on the same path, for bulk reads. A streaming query on the
     * client's own session is cut off by the next statement on it, and a run writes while it reads.
     */
    readonly chdbStreamingSession: Session | undefined,
  ) {}

  /** Connects and creates the database if it does not exist. */
  static async open(config: EngineConfig): Promise<ClickHouseEngine> {
    let engine: ClickHouseEngine;
    if (config.kind === 'server') {
      const client = createClient({
        url: config.url,
        ...(config.username === undefined ? {} : { username: config.username }),
        ...(config.password === undefined ? {} : { password: config.password }),
        request_timeout: config.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        // 18.16 predates the settings the client would otherwise send to support compression.
        compression: { request: false, response: false },
        // Failures are classified and thrown with context; the client's own logging would repeat them.
        log: { level: ClickHouseLogLevel.OFF },
      });
      engine = new ClickHouseEngine('server', config.database, client, undefined);
    } else {
      const connection = createChdbConnection({ path: config.path });
      // chdb types its connection against @clickhouse/client-common, which @clickhouse/client now
      // bundles under its own declarations: same shape at run time, distinct types at compile time.
      const client = createClient({
        connection: connection as unknown as ClientConnection,
        log: { level: ClickHouseLogLevel.OFF },
      });
      engine = new ClickHouseEngine('chdb', config.database, client, new Session(config.path));
    }
    await engine.command(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(config.database)}`, 'create database');
    return engine;
  }

  /** `database`.`table`, quoted; usable in the `sql` tag and in plain template strings. */
  table(name: string): SqlFragment {
    return trustedSql(`${quoteIdentifier(this.database)}.${quoteIdentifier(name)}`);
  }

  /** Runs a statement whose result is not needed (DDL, ALTER, INSERT ... SELECT). */
  async command(statement: string, operation: string): Promise<void> {
    try {
      await this.client.command({ query: statement });
    } catch (error) {
      throw classifyStoreError(error, { operation, engine: this.kind });
    }
  }

  /** Runs a SELECT and returns its rows as parsed JSONEachRow objects. */
  async queryRows<Row>(statement: string, operation: string): Promise<Row[]> {
    try {
      const result = await this.client.query({
        query: statement,
        format: 'JSONEachRow',
        clickhouse_settings: JSON_OUTPUT_SETTINGS,
      });
      return await result.json<Row>();
    } catch (error) {
      throw classifyStoreError(error, { operation, engine: this.kind });
    }
  }

  /** Inserts rows through JSONEachRow: for control-plane tables; bulk data goes through bulk I/O. */
  async insertRows(table: string, rows: readonly Record<string, unknown>[], operation: string): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.client.insert({ table: this.table(table).text, values: [...rows], format: 'JSONEachRow' });
    } catch (error) {
      throw classifyStoreError(error, { operation, engine: this.kind });
    }
  }

  async ping(): Promise<boolean> {
    const result = await this.client.ping();
    return result.success;
  }

  async dropDatabase(): Promise<void> {
    await this.command(`DROP DATABASE IF EXISTS ${quoteIdentifier(this.database)}`, 'drop database');
  }

  async close(): Promise<void> {
    await this.client.close();
    this.chdbStreamingSession?.close();
  }
}
