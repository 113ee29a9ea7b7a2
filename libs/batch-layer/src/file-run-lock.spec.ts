import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunInProgressError } from '@platform/batch-domain';
import { FileRunLock } from './file-run-lock';

function lockDirectory(): string {
  return mkdtempSync(join(tmpdir(), 'run-lock-'));
}

describe('FileRunLock', () => {
  it('refuses a second run of a model in this process until the first releases', async () => {
    const directory = lockDirectory();
    const lock = new FileRunLock(directory);
    const lease = await lock.acquire('churn');
    await expect(lock.acquire('churn')).rejects.toThrow(RunInProgressError);
    await expect(new FileRunLock(directory).acquire('churn')).rejects.toThrow(/already under way in this process/);
    const other = await lock.acquire('fraud');
    await lease.release();
    await other.release();
    await (await lock.acquire('churn')).release();
  });

  it('refuses while a live process holds the lock, naming it', async () => {
    const directory = lockDirectory();
    mkdirSync(join(directory, 'churn.lock'));
    writeFileSync(join(directory, 'churn.lock', 'owner.json'), JSON.stringify({ pid: process.ppid, host: hostname(), acquiredAt: 0 }));
    await expect(new FileRunLock(directory).acquire('churn')).rejects.toThrow(
      new RegExp(`already under way \\(process ${process.ppid} on ${hostname()} since 1970-01-01T00:00:00.000Z`),
    );
  });

  it('takes over a lock whose owner died without releasing it', async () => {
    const directory = lockDirectory();
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    mkdirSync(join(directory, 'churn.lock'));
    writeFileSync(join(directory, 'churn.lock', 'owner.json'), JSON.stringify({ pid: dead, host: hostname(), acquiredAt: 0 }));
    const lease = await new FileRunLock(directory).acquire('churn');
    await lease.release();
  });
});
