import { createHash, randomBytes } from 'node:crypto';

/** Marks a string as one of our keys, so it is recognisable in a leaked log or a secret scanner. */
export const API_KEY_PREFIX = 'lpk_';

const API_KEY_RANDOM_BYTES = 32;

/** A new key: the prefix and 256 random bits, base64url. It is shown once and never stored. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(API_KEY_RANDOM_BYTES).toString('base64url');
}

/**
 * The SHA-256 hex digest under which a key is stored. A fast unsalted hash is enough here: keys
 * carry 256 random bits, so a leaked digest cannot be brute-forced back into its key.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}
