import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlatformError } from '@platform/domain';
import { type ClickHouseEngine } from '../engine/clickhouse-engine';
import { quoteIdentifier, sql } from '../sql/sql-literal';

/**
 * Numbered SQL files (`NNNN_name.sql`) applied in order and recorded in `schema_migrations`.
 * Statements are written in the subset both ClickHouse 18.16 and chDB 26.x run, use `IF NOT
 * EXISTS`, and name tables as `{database}.table`; `{database}` is replaced by the quoted name.
 * `ALTER TABLE {database}.t ADD COLUMN c ...` is made idempotent here (18.16 has no `ADD COLUMN IF
 * NOT EXISTS`): it is skipped when the column exists, also when another process added it meanwhile.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
  /** SHA-256 of the file, so an edited migration that already ran is caught, not ignored. */
  readonly checksum: string;
}

export class MigrationChecksumError extends PlatformError {
  readonly code = 'MIGRATION_CHECKSUM';
  readonly retriable = false;
}

const MIGRATION_FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export const BUILT_IN_MIGRATIONS_DIR = join(__dirname, 'sql');

export function loadMigrations(directory: string = BUILT_IN_MIGRATIONS_DIR): Migration[] {
  return readdirSync(directory)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort()
    .map((file) => {
      const [, version, name] = MIGRATION_FILE.exec(file)!;
      const text = readFileSync(join(directory, file), 'utf8');
      return {
        version: Number(version),
        name: name!,
        statements: splitStatements(text),
        checksum: createHash('sha256').update(text).digest('hex'),
      };
    });
}

/** Splits on `;` at the end of a line; comment lines are dropped (18.16 rejects some placements). */
export function splitStatements(text: string): string[] {
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n');
  return withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}

export interface MigrationReport {
  readonly applied: readonly string[];
  readonly alreadyApplied: number;
}

interface AppliedMigrationRow {
  version: number;
  name: string;
  checksum: string;
}

const ADD_COLUMN = /^ALTER\s+TABLE\s+\{database\}\.(\w+)\s+ADD\s+COLUMN\s+(\w+)\s/i;

async function columnExists(engine: ClickHouseEngine, table: string, column: string): Promise<boolean> {
  const rows = await engine.queryRows<{ found: number }>(
    sql`SELECT count() AS found FROM system.columns WHERE database = ${engine.database} AND table = ${table} AND name = ${column}`,
    `look up column ${table}.${column}`,
  );
  return Number(rows[0]?.found ?? 0) > 0;
}

async function applyStatement(engine: ClickHouseEngine, statement: string, operation: string): Promise<void> {
  const addColumn = ADD_COLUMN.exec(statement);
  const text = statement.replaceAll('{database}', quoteIdentifier(engine.database));
  if (addColumn === null) return engine.command(text, operation);
  const [, table, column] = addColumn;
  if (await columnExists(engine, table!, column!)) return;
  try {
    await engine.command(text, operation);
  } catch (error) {
    // Two processes migrating at once: the other one added it first.
    if (!(await columnExists(engine, table!, column!))) throw error;
  }
}

/**
 * Applies the migrations the database has not recorded yet. Safe to run concurrently from two
 * processes: every statement is idempotent, and a version recorded twice reads as applied once.
 */
export async function runMigrations(
  engine: ClickHouseEngine,
  migrations: readonly Migration[] = loadMigrations(),
): Promise<MigrationReport> {
  await engine.command(
    `CREATE TABLE IF NOT EXISTS ${engine.table('schema_migrations')}
     (version UInt32, name String, checksum String, applied_at UInt64)
     ENGINE = MergeTree() ORDER BY version`,
    'create schema_migrations',
  );
  const appliedRows = await engine.queryRows<AppliedMigrationRow>(
    `SELECT version, any(name) AS name, any(checksum) AS checksum
     FROM ${engine.table('schema_migrations')} GROUP BY version`,
    'read schema_migrations',
  );
  const applied = new Map(appliedRows.map((row) => [Number(row.version), row]));
  const newlyApplied: string[] = [];
  for (const migration of migrations) {
    const label = `${String(migration.version).padStart(4, '0')}_${migration.name}`;
    const previous = applied.get(migration.version);
    if (previous !== undefined) {
      if (previous.checksum !== migration.checksum) {
        throw new MigrationChecksumError(
          `migration ${label} was applied to database ${engine.database} with a different checksum: ` +
            'applied migrations are immutable, add a new numbered file instead',
        );
      }
      continue;
    }
    for (const statement of migration.statements) await applyStatement(engine, statement, `migration ${label}`);
    await engine.command(
      sql`INSERT INTO ${engine.table('schema_migrations')} VALUES
        (${migration.version}, ${migration.name}, ${migration.checksum}, ${Date.now()})`,
      `record migration ${label}`,
    );
    newlyApplied.push(label);
  }
  return { applied: newlyApplied, alreadyApplied: migrations.length - newlyApplied.length };
}
