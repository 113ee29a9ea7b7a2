import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');

/** The commit measured, with a mark when the working tree differs from it. */
export function revision(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'libs', 'apps', 'config') === '' ? '' : ' + uncommitted changes'}`;
  } catch {
    return `not a git checkout (${REPO_ROOT})`;
  }
}
