import { timingSafeEqual } from 'node:crypto';
import { hashApiKey } from './api-key';
import { type ApiKeyEntry, InvalidApiKeyConfigError } from './api-key-entry';
import { type ApiPrincipal } from './api-scope';

/** Far above the keys we generate (47 characters); longer input is refused unhashed. */
export const API_KEY_MAX_LENGTH = 256;

const SHA256_BYTES = 32;

interface RingEntry {
  readonly digest: Buffer;
  readonly principal: ApiPrincipal;
}

/** The keys a service accepts, held as digests; a presented key is checked against all of them. */
export class ApiKeyRing {
  private readonly entries: readonly RingEntry[];

  /**
   * Takes entries as `parseApiKeyEntries` returns them. A digest of the wrong size is refused here,
   * at start, rather than making every later request fail.
   */
  constructor(entries: readonly ApiKeyEntry[]) {
    this.entries = entries.map((entry) => {
      const digest = Buffer.from(entry.sha256, 'hex');
      if (digest.length !== SHA256_BYTES || digest.toString('hex') !== entry.sha256) {
        throw new InvalidApiKeyConfigError(`api key ${entry.name} has a sha256 that is not 64 lowercase hex characters`);
      }
      return { digest, principal: Object.freeze({ name: entry.name, scopes: Object.freeze([...entry.scopes]) }) };
    });
  }

  /**
   * The principal of the presented key, or undefined. Absent, empty and over-long keys are refused
   * before hashing: their length is no secret. Otherwise every entry is compared in constant time,
   * with no early exit on a match, so timing tells neither which entry matched nor whether one did.
   */
  authenticate(presented: string | undefined): ApiPrincipal | undefined {
    if (presented === undefined || presented.length === 0 || presented.length > API_KEY_MAX_LENGTH) return undefined;
    const digest = Buffer.from(hashApiKey(presented), 'hex');
    let match: ApiPrincipal | undefined;
    for (const entry of this.entries) {
      if (timingSafeEqual(digest, entry.digest)) match = entry.principal;
    }
    return match;
  }
}
