import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashApiKey } from './api-key';
import { InvalidApiKeyConfigError } from './api-key-entry';
import { addApiKey, readApiKeyFile } from './api-key-file';
import { ApiKeyRing } from './api-key-ring';

const directories: string[] = [];

function keyDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'api-keys-'));
  directories.push(directory);
  return directory;
}

afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

describe('api key file', () => {
  it('reads a missing file as no entries', async () => {
    expect(await readApiKeyFile(join(keyDirectory(), 'api-keys.json'))).toEqual([]);
  });

  it('round-trips added keys: the file holds digests, and a ring built from it authenticates the keys', async () => {
    const path = join(keyDirectory(), 'nested', 'api-keys.json');
    const ops = await addApiKey(path, 'ops', ['admin']);
    const dashboard = await addApiKey(path, 'dashboard', ['read']);

    expect(ops.entry).toEqual({ name: 'ops', sha256: hashApiKey(ops.key), scopes: ['admin'] });
    const entries = await readApiKeyFile(path);
    expect(entries).toEqual([ops.entry, dashboard.entry]);

    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain(ops.key);
    expect(text).not.toContain(dashboard.key);

    const ring = new ApiKeyRing(entries);
    expect(ring.authenticate(ops.key)).toEqual({ name: 'ops', scopes: ['admin'] });
    expect(ring.authenticate(dashboard.key)).toEqual({ name: 'dashboard', scopes: ['read'] });
  });

  it('writes the file with mode 0600 and leaves no temp file behind', async () => {
    const directory = keyDirectory();
    const path = join(directory, 'api-keys.json');
    await addApiKey(path, 'ops', ['admin']);
    await addApiKey(path, 'dashboard', ['read']);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(directory)).toEqual(['api-keys.json']);
  });

  it('refuses a duplicate name and leaves the file as it was', async () => {
    const path = join(keyDirectory(), 'api-keys.json');
    await addApiKey(path, 'ops', ['admin']);
    const before = readFileSync(path, 'utf8');
    await expect(addApiKey(path, 'ops', ['read'])).rejects.toThrow(InvalidApiKeyConfigError);
    await expect(addApiKey(path, 'ops', ['read'])).rejects.toThrow(/already has a key named ops/);
    expect(readFileSync(path, 'utf8')).toBe(before);
  });

  it('refuses an invalid name or no scopes without creating the file', async () => {
    const path = join(keyDirectory(), 'api-keys.json');
    await expect(addApiKey(path, 'has space', ['read'])).rejects.toThrow(/at \[0\]\.name/);
    await expect(addApiKey(path, 'ops', [])).rejects.toThrow(/at \[0\]\.scopes/);
    expect(await readApiKeyFile(path)).toEqual([]);
  });

  it('refuses a file that is not JSON or not a valid key list, naming the file', async () => {
    const directory = keyDirectory();
    const notJson = join(directory, 'not-json.json');
    writeFileSync(notJson, '[{"name": ');
    await expect(readApiKeyFile(notJson)).rejects.toThrow(InvalidApiKeyConfigError);
    await expect(readApiKeyFile(notJson)).rejects.toThrow(/not-json\.json is not valid JSON/);

    const badEntry = join(directory, 'bad-entry.json');
    writeFileSync(badEntry, JSON.stringify([{ name: 'ops', sha256: 'nope', scopes: ['admin'] }]));
    await expect(readApiKeyFile(badEntry)).rejects.toThrow(/bad-entry\.json[\s\S]*sha256/);
  });
});
