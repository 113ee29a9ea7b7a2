import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const REPO_ROOT = join(__dirname, '..', '..');

/** `npm start` as a user runs it, on a fresh embedded engine directory. */
describe('npm start', () => {
  it('runs the storage smoke on chDB and says what it did', async () => {
    // The embedded default: leave out the server that npm test exported.
    const { CLICKHOUSE_URL, ...inheritedEnv } = process.env;
    const { stdout } = await run('bash', [join(REPO_ROOT, 'scripts', 'start.sh')], {
      cwd: REPO_ROOT,
      env: { ...inheritedEnv, SMOKE_ROWS: '20000', CHDB_PATH: join(mkdtempSync(join(tmpdir(), 'npm-start-')), 'chdb') },
      timeout: 180_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const logs = stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logs.find((log) => log['msg'] === 'engine ready')).toMatchObject({ alreadyApplied: 0 });
    expect(logs.find((log) => log['msg'] === 'storage smoke done')).toMatchObject({
      batchRowsWritten: 20_000,
      rowsReadBack: 20_000,
      mergedSample: [
        { entityId: 'entity-0', source: 'batch' },
        { entityId: 'entity-1', source: 'speed' },
      ],
    });
  });
});
