import { ENGINE_KINDS, useTestEngine } from '../testing';
import { TABLE_COLUMNS } from './table-columns';

describe.each(ENGINE_KINDS)('bulk column specs on %s', (kind) => {
  const engine = useTestEngine(kind);

  // system.columns lists a table's columns in their order (18.16 has no `position` column).
  it.each(Object.keys(TABLE_COLUMNS) as (keyof typeof TABLE_COLUMNS)[])('match the migrated %s column for column', async (table) => {
    const columns = await engine().queryRows<{ name: string; type: string }>(
      `SELECT name, type FROM system.columns WHERE database = '${engine().database}' AND table = '${table}'`,
      `columns of ${table}`,
    );
    expect(columns).toEqual(TABLE_COLUMNS[table].map(({ name, type }) => ({ name, type })));
  });
});
