import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, '..', '..', '..');
const ROUNDS = 50;
const ROUND_MS = 150;

describe('FileRunLock across processes', () => {
  it(`lets exactly one of two racing processes run, ${ROUNDS} times; the other gets a clear refusal`, async () => {
    const directory = mkdtempSync(join(tmpdir(), 'lock-race-'));
    // Both children start their first round at the same instant, after both have loaded.
    const startAt = Date.now() + 8_000;
    const child = (): Promise<{ stdout: string }> =>
      run(process.execPath, ['-r', '@swc-node/register', join(__dirname, 'testing', 'lock-race-child.ts'), directory, String(ROUNDS), String(startAt), String(ROUND_MS)], {
        cwd: REPO_ROOT,
        env: { ...process.env, TS_NODE_PROJECT: 'tsconfig.base.json' },
      });
    const [first, second] = await Promise.all([child(), child()]);
    const outcomes = (stdout: string): string[] => stdout.trim().split('\n');
    const a = outcomes(first.stdout);
    const b = outcomes(second.stdout);
    expect(a).toHaveLength(ROUNDS);
    expect(b).toHaveLength(ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const winners = [a[round], b[round]].filter((line) => line === `${round} won`);
      expect({ round, winners: winners.length }).toEqual({ round, winners: 1 });
    }
  }, 60_000);
});
