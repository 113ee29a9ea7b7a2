import { ENGINE_KINDS, useTestEngine } from '../testing';
import { TablePartsRepository } from './table-parts-repository';

describe.each(ENGINE_KINDS)('table parts on %s', (kind) => {
  const engine = useTestEngine(kind, { migrate: false });

  it('counts active parts per table and the most in one partition, for this database only', async () => {
    const table = engine().table('parts_probe');
    await engine().command(`CREATE TABLE ${table} (p UInt8, x UInt32) ENGINE = MergeTree PARTITION BY p ORDER BY x`, 'create probe');
    await engine().command(`CREATE TABLE ${engine().table('empty_probe')} (x UInt32) ENGINE = MergeTree ORDER BY x`, 'create empty probe');
    // One part per insert: three in partition 1, one in partition 2.
    for (const values of ['(1, 1)', '(1, 2)', '(1, 3)', '(2, 4)']) await engine().command(`INSERT INTO ${table} VALUES ${values}`, 'insert');

    const repository = new TablePartsRepository(engine());
    expect(await repository.activeParts()).toEqual([{ table: 'parts_probe', activeParts: 4, maxPartsPerPartition: 3 }]);

    // A merge replaces the parts of a partition with one; the merged-away parts are no longer active.
    await engine().command(`OPTIMIZE TABLE ${table} FINAL`, 'merge');
    expect(await repository.activeParts()).toEqual([{ table: 'parts_probe', activeParts: 2, maxPartsPerPartition: 1 }]);
  });
});
