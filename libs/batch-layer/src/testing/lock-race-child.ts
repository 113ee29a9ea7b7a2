/**
 * One side of the cross-process lock race (file-run-lock.integration-spec.ts): at each round's
 * start time, try to take the model's lock, hold it briefly, release; print one line per round.
 *   node -r @swc-node/register lock-race-child.ts <lock-dir> <rounds> <start-epoch-ms> <round-ms>
 */
import { RunInProgressError } from '@platform/batch-domain';
import { FileRunLock } from '../file-run-lock';

async function main(): Promise<void> {
  const [directory, rounds, startAt, roundMs] = process.argv.slice(2);
  const lock = new FileRunLock(directory!);
  for (let round = 0; round < Number(rounds); round++) {
    const at = Number(startAt) + round * Number(roundMs);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at - Date.now())));
    try {
      const lease = await lock.acquire('churn');
      await new Promise((resolve) => setTimeout(resolve, Number(roundMs) / 3));
      await lease.release();
      process.stdout.write(`${round} won\n`);
    } catch (error) {
      if (!(error instanceof RunInProgressError)) throw error;
      process.stdout.write(`${round} refused\n`);
    }
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
