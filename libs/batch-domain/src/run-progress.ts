import { type RunProgress } from './run-batch';

/** What an operator watches while a run scores: how far, how fast, how long still. */
export interface ProgressEstimate {
  readonly percent: number;
  readonly rowsPerSecond: number;
  /** Null until the rate is known. */
  readonly etaSeconds: number | null;
}

export function estimateProgress({ rowsRead, rowsTotal }: Pick<RunProgress, 'rowsRead' | 'rowsTotal'>, elapsedMs: number): ProgressEstimate {
  const rowsPerSecond = elapsedMs > 0 ? (rowsRead * 1000) / elapsedMs : 0;
  return {
    percent: rowsTotal > 0 ? Math.min(100, Math.floor((100 * rowsRead) / rowsTotal)) : 100,
    rowsPerSecond: Math.round(rowsPerSecond),
    etaSeconds: rowsPerSecond > 0 ? Math.max(0, Math.round((rowsTotal - rowsRead) / rowsPerSecond)) : null,
  };
}
