import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { generateApiKey, hashApiKey } from './api-key';
import { type ApiKeyEntry, InvalidApiKeyConfigError, parseApiKeyEntries } from './api-key-entry';
import { type ApiScope } from './api-scope';

/**
 * The operators' key file: a JSON list of `{ name, sha256, scopes }`, never the keys themselves.
 * Kept apart from the rest of the lib because it is the only part that touches the file system.
 */

/**
 * Reads and validates the key file. A missing file reads as no entries, exactly like an empty
 * list, and is not an error here: whether a service may run with nobody able to authenticate
 * (admin routes closed) or must refuse to start is the caller's decision, so check the length.
 */
export async function readApiKeyFile(path: string): Promise<ApiKeyEntry[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidApiKeyConfigError(`api key file ${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseApiKeyEntries(json, path);
}

/**
 * Generates a key, adds its entry to the file (created if missing) and returns both. The key is
 * returned once and stored nowhere. The file is replaced atomically with mode 0600, so a reader
 * sees the old list or the new one, never half a file. Two adds racing on one file are not
 * serialised (the later rename wins): this is an operator's command, not a service path.
 */
export async function addApiKey(
  path: string,
  name: string,
  scopes: readonly ApiScope[],
): Promise<{ key: string; entry: ApiKeyEntry }> {
  const existing = await readApiKeyFile(path);
  if (existing.some((entry) => entry.name === name)) {
    throw new InvalidApiKeyConfigError(`api key file ${path} already has a key named ${name}: choose another name or remove that entry first`);
  }
  const key = generateApiKey();
  const [entry] = parseApiKeyEntries([{ name, sha256: hashApiKey(key), scopes }], `the new key for ${path}`);
  await writeFileAtomically(path, `${JSON.stringify([...existing, entry!], null, 2)}\n`);
  return { key, entry: entry! };
}

/** Write a temp file beside the target, flush it, rename it over the target (atomic on POSIX). */
async function writeFileAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(text, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
