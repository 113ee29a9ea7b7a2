import { estimateProgress } from './run-progress';

describe('estimateProgress', () => {
  it('gives percent, rate and time left', () => {
    expect(estimateProgress({ rowsRead: 250_000, rowsTotal: 1_000_000 }, 500)).toEqual({ percent: 25, rowsPerSecond: 500_000, etaSeconds: 2 });
  });

  it('has no ETA before any row and counts an empty source as done', () => {
    expect(estimateProgress({ rowsRead: 0, rowsTotal: 10 }, 0)).toEqual({ percent: 0, rowsPerSecond: 0, etaSeconds: null });
    expect(estimateProgress({ rowsRead: 0, rowsTotal: 0 }, 10)).toEqual({ percent: 100, rowsPerSecond: 0, etaSeconds: null });
  });
});
