import { ColdStartFallback } from './cold-start-fallback';

describe('ColdStartFallback', () => {
  const fallback = new ColdStartFallback(
    [
      { segmentColumns: ['region', 'plan'], segmentValues: ['north', 'basic'], rowCount: 10, outputMeans: [0.25] },
      { segmentColumns: ['region', 'plan'], segmentValues: ['south', 'basic'], rowCount: 30, outputMeans: [0.75] },
    ],
    [0.625],
  );

  it("answers the entity's segment mean when every segment attribute is given and known", () => {
    expect(fallback.answer({ region: 'south', plan: 'basic', extra: 'ignored' })).toEqual({ basis: 'segment', outputs: [0.75] });
  });

  it('answers the global default for a partial, unknown or missing segment', () => {
    for (const attributes of [{ region: 'south' }, { region: 'west', plan: 'basic' }, undefined]) {
      expect(fallback.answer(attributes)).toEqual({ basis: 'global', outputs: [0.625] });
    }
  });

  it('does not confuse segments whose joined values would collide', () => {
    const tricky = new ColdStartFallback(
      [{ segmentColumns: ['a', 'b'], segmentValues: ['x,y', 'z'], rowCount: 1, outputMeans: [1] }],
      [0],
    );
    expect(tricky.answer({ a: 'x', b: 'y,z' }).basis).toBe('global');
    expect(tricky.answer({ a: 'x,y', b: 'z' }).basis).toBe('segment');
  });

  it('answers nothing for an empty run without segments', () => {
    expect(new ColdStartFallback([], []).answer({ region: 'north' })).toEqual({ basis: 'none', outputs: [] });
  });
});
