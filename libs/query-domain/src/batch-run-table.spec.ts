import fc from 'fast-check';
import { BatchRunTableBuilder } from './batch-run-table';
import { ServingStateBudgetExceededError } from './memory-budget';

const UNLIMITED = { limitBytes: Number.MAX_SAFE_INTEGER, usedElsewhereBytes: 0 };

describe('BatchRunTable', () => {
  it('gives back every row exactly as Float32 stores it, keeping the first row of a repeated id', () => {
    const row = fc.record({
      entityId: fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }),
      outputs: fc.array(fc.float({ noDefaultInfinity: false }), { maxLength: 3 }),
      scoredAt: fc.nat(),
    });
    fc.assert(
      fc.property(fc.array(row, { maxLength: 3000 }), (rows) => {
        const builder = new BatchRunTableBuilder('m', 'run-1', UNLIMITED);
        for (const r of rows) builder.append(r.entityId, r.outputs, r.scoredAt, []);
        const table = builder.build();
        const firsts = new Map<string, (typeof rows)[number]>();
        for (const r of rows) if (!firsts.has(r.entityId)) firsts.set(r.entityId, r);
        expect(table.rowCount).toBe(firsts.size);
        expect(builder.duplicateRows).toBe(rows.length - firsts.size);
        for (const [entityId, first] of firsts) {
          expect(table.get(entityId)).toEqual({
            model: 'm',
            runId: 'run-1',
            entityId,
            outputs: first.outputs.map(Math.fround),
            scoredAt: first.scoredAt,
          });
        }
        expect(table.get('\u0000absent\u0000')).toBeUndefined();
      }),
      { numRuns: 50 },
    );
  });

  it('averages each output over the rows for the global default', () => {
    const builder = new BatchRunTableBuilder('m', 'r', UNLIMITED);
    builder.append('a', [0.25, 1], 1, []);
    builder.append('b', [0.75, 3], 1, []);
    expect(builder.build().meanOutputs()).toEqual([0.5, 2]);
    expect(new BatchRunTableBuilder('m', 'r', UNLIMITED).build().meanOutputs()).toEqual([]);
  });

  it('refuses a run that outgrows the budget while it is read, naming the run and the setting', () => {
    const builder = new BatchRunTableBuilder('churn', 'run-9', { limitBytes: 200_000, usedElsewhereBytes: 50_000 });
    const fill = (): void => {
      for (let i = 0; i < 10_000; i++) builder.append(`customer-${i}`, [0.5], 1, []);
    };
    expect(fill).toThrow(ServingStateBudgetExceededError);
    expect(fill).toThrow(/run run-9 of model churn .*QUERY_STATE_MAX_BYTES/);
  });

  it('estimates its size from ids and typed arrays', () => {
    const builder = new BatchRunTableBuilder('m', 'r', UNLIMITED);
    for (let i = 0; i < 1000; i++) builder.append(`id-${i}`, [0.5], 1, []);
    const table = builder.build();
    expect(table.estimatedBytes).toBeGreaterThan(1000 * (4 + 4 + 8 + 64));
    expect(table.estimatedBytes).toBeLessThan(1000 * 200);
  });
});
