import { loadMigrations, splitStatements } from './migrations';

describe('splitStatements', () => {
  it('splits on semicolons that end a line and drops comment lines', () => {
    const text = '-- first\nCREATE TABLE a (x String);\n\n-- second; not a split\nCREATE VIEW b AS SELECT \';\' AS s;';
    expect(splitStatements(text)).toEqual(['CREATE TABLE a (x String)', "CREATE VIEW b AS SELECT ';' AS s"]);
  });
});

describe('loadMigrations', () => {
  it('loads the built-in migrations in version order, each naming tables by {database}', () => {
    const migrations = loadMigrations();
    expect(migrations.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    for (const migration of migrations) {
      expect(migration.checksum).toMatch(/^[0-9a-f]{64}$/);
      for (const statement of migration.statements) {
        expect(statement).toMatch(/\{database\}\./);
      }
    }
  });
});
