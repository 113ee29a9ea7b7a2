import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { type RunLease, type RunLock, RunInProgressError, stableLease } from '@platform/batch-domain';

interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly acquiredAt: number;
}

const OWNER_FILE = 'owner.json';

/** Models locked by this process, whatever lock instance took them. */
const heldInProcess = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The embedded mode's run lock: an in-process set (a second run in this process is refused at
 * once) plus a directory per model created with mkdir, which is atomic, so two processes sharing
 * the data directory cannot both hold it. A lock whose owner process died (SIGKILL) is taken over.
 */
export class FileRunLock implements RunLock {
  constructor(private readonly directory: string) {}

  async acquire(model: string): Promise<RunLease> {
    const key = `${this.directory}\u0000${model}`;
    if (heldInProcess.has(key)) {
      throw new RunInProgressError(`a run of model ${model} is already under way in this process`);
    }
    heldInProcess.add(key);
    try {
      const lockDir = join(this.directory, `${model}.lock`);
      await this.takeDirectory(lockDir, model);
      return stableLease(async () => {
        await rm(lockDir, { recursive: true, force: true });
        heldInProcess.delete(key);
      });
    } catch (error) {
      heldInProcess.delete(key);
      throw error;
    }
  }

  private async takeDirectory(lockDir: string, model: string, staleRemoved = false): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    try {
      await mkdir(lockDir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = await this.owner(lockDir);
      if (owner === undefined || staleRemoved || owner.host !== hostname() || isAlive(owner.pid)) {
        const who = owner === undefined ? 'another process' : `process ${owner.pid} on ${owner.host} since ${new Date(owner.acquiredAt).toISOString()}`;
        throw new RunInProgressError(`a run of model ${model} is already under way (${who}; lock ${lockDir})`);
      }
      // The owner died without releasing: move its lock aside (rename is atomic, one taker wins).
      const aside = `${lockDir}.stale-${process.pid}-${Date.now()}`;
      await rename(lockDir, aside).catch(() => undefined);
      await rm(aside, { recursive: true, force: true });
      return this.takeDirectory(lockDir, model, true);
    }
    const owner: LockOwner = { pid: process.pid, host: hostname(), acquiredAt: Date.now() };
    await writeFile(join(lockDir, OWNER_FILE), JSON.stringify(owner));
  }

  private async owner(lockDir: string): Promise<LockOwner | undefined> {
    try {
      return JSON.parse(await readFile(join(lockDir, OWNER_FILE), 'utf8')) as LockOwner;
    } catch {
      // Created but not yet written by its owner, or unreadable: treat as held.
      return undefined;
    }
  }
}
