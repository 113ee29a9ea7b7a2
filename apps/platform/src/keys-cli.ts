/**
 * API keys of the platform's HTTP services (stored as SHA-256 hashes in API_KEYS_FILE, default
 * .run/api-keys.json):
 *
 *   npm run keys -- add --name alice --scopes admin     prints the new key once; keep it
 *   npm run keys -- list                                 names and scopes, never keys
 *
 * Exit codes: 0 done, 1 refused (e.g. a duplicate name), 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { addApiKey, API_SCOPES, type ApiScope, readApiKeyFile } from '@platform/access';
import { PlatformError } from '@platform/domain';
import { loadPlatformConfig } from '@platform/platform-config';
import { runCommand } from './run-command';

const USAGE = `usage: keys add --name NAME --scopes ${API_SCOPES.join('|')}[,...] | keys list`;

function scopesOf(text: string | undefined): ApiScope[] {
  const scopes = (text ?? '').split(',').filter((scope) => scope !== '');
  const unknown = scopes.filter((scope) => !(API_SCOPES as readonly string[]).includes(scope));
  if (scopes.length === 0 || unknown.length > 0) throw new Error(`--scopes must list ${API_SCOPES.join(' and/or ')}${unknown.length > 0 ? ` (unknown: ${unknown.join(', ')})` : ''}`);
  return scopes as ApiScope[];
}

runCommand(async () => {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { name: { type: 'string' }, scopes: { type: 'string' } } });
  const { apiKeysFile } = loadPlatformConfig();
  try {
    switch (positionals[0]) {
      case 'add': {
        if (values.name === undefined) throw new Error('--name is required');
        const { key, entry } = await addApiKey(apiKeysFile, values.name, scopesOf(values.scopes));
        process.stderr.write(`added key ${entry.name} (${entry.scopes.join(', ')}) to ${apiKeysFile}; it is shown once:\n`);
        process.stdout.write(`${key}\n`);
        return 0;
      }
      case 'list':
        process.stdout.write(`${JSON.stringify((await readApiKeyFile(apiKeysFile)).map(({ name, scopes }) => ({ name, scopes })))}\n`);
        return 0;
      default:
        throw new Error(`unknown command ${JSON.stringify(positionals[0])}`);
    }
  } catch (error) {
    if (error instanceof PlatformError) {
      process.stderr.write(`${error.name}: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    return 2;
  }
});
