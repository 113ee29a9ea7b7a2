import { type ServingPointer } from '@platform/domain';
import fc from 'fast-check';
import { BatchRunTableBuilder, compareRanked } from './batch-run-table';
import { ColdStartFallback } from './cold-start-fallback';
import { type RankCursor, InMemoryModelState } from './model-serving-state';

const POINTER: ServingPointer = { model: 'm', runId: 'r', modelVersion: '1', dataCutoff: 0, action: 'publish', at: 1, actor: 't' };

describe('ModelServingState.rankedPage', () => {
  it('walks every known entity once, by merged score then id, whatever the page size and source filter', () => {
    const entity = fc.string({ minLength: 1, maxLength: 3 });
    const score = fc.constantFrom(0, 0.25, 0.5, 0.75, NaN);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(entity, score), { selector: ([id]) => id, maxLength: 40 }),
        fc.array(fc.tuple(entity, score), { maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        fc.constantFrom(undefined, 'batch' as const, 'speed' as const),
        (batchRows, speedRows, limit, source) => {
          const builder = new BatchRunTableBuilder('m', 'r', { limitBytes: 1e9, usedElsewhereBytes: 0 });
          for (const [id, s] of batchRows) builder.append(id, [s], 1, []);
          const table = builder.build();
          const state = new InMemoryModelState(POINTER, table, new ColdStartFallback([], []), 0);
          speedRows.forEach(([id, s], index) =>
            state.offerSpeed({
              model: 'm',
              modelVersion: '1',
              entityId: id,
              eventId: `e${index}`,
              eventTime: 10 + index,
              outputs: [s],
              scoredAt: 1,
              source: { topic: 't', partition: 0, offset: '0' },
            }),
          );
          const known = new Set([...batchRows.map(([id]) => id), ...speedRows.map(([id]) => id)]);
          const expected = [...known]
            .map((id) => state.answer(id))
            .filter((answer) => source === undefined || answer.source === source)
            .map((answer) => ({ id: answer.entityId, score: Number.isNaN(answer.outputs[0]) ? -Infinity : answer.outputs[0]! }))
            .sort((a, b) => compareRanked(a.score, a.id, b.score, b.id))
            .map(({ id }) => id);
          const walked: string[] = [];
          let cursor: RankCursor | undefined;
          for (let pages = 0; pages < 100; pages++) {
            const page = state.rankedPage(limit, cursor, source);
            expect(page.predictions.length).toBeLessThanOrEqual(limit);
            walked.push(...page.predictions.map((p) => p.entityId));
            if (page.next === null) break;
            cursor = page.next;
          }
          expect(walked).toEqual(expected);
        },
      ),
    );
  });
});
