import { z } from 'zod';
import { InvalidInputError } from '@platform/domain';
import { API_SCOPES, type ApiScope } from './api-scope';

/** A key as operators store it: its name, the SHA-256 of the key (never the key) and its scopes. */
export interface ApiKeyEntry {
  readonly name: string;
  readonly sha256: string;
  readonly scopes: readonly ApiScope[];
}

export class InvalidApiKeyConfigError extends InvalidInputError {
  override readonly code = 'INVALID_API_KEY_CONFIG';
}

const apiKeyEntrySchema = z.strictObject({
  /** Shows up as the actor in audit rows and logs, so it is kept short and printable. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'a name of 1-64 letters, digits, ".", "_", "@" or "-"'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest: 64 lowercase hex characters'),
  scopes: z.array(z.enum(API_SCOPES)).min(1, 'at least one scope'),
});

/**
 * Validates stored key entries. Names and digests must be unique: a name is an audit actor, and
 * one key under two names would make the principal ambiguous. Errors name the origin and each bad
 * field.
 */
export function parseApiKeyEntries(input: unknown, origin: string): ApiKeyEntry[] {
  const result = z.array(apiKeyEntrySchema).safeParse(input);
  if (!result.success) {
    throw new InvalidApiKeyConfigError(`api keys in ${origin} are invalid:\n${z.prettifyError(result.error)}`);
  }
  const names = new Set<string>();
  const digests = new Set<string>();
  for (const entry of result.data) {
    if (names.has(entry.name)) {
      throw new InvalidApiKeyConfigError(`api keys in ${origin} name ${entry.name} twice`);
    }
    if (digests.has(entry.sha256)) {
      throw new InvalidApiKeyConfigError(`api keys in ${origin} store the sha256 of key ${entry.name} under another name too`);
    }
    names.add(entry.name);
    digests.add(entry.sha256);
  }
  return result.data;
}
