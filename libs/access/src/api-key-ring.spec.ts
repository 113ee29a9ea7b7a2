import { generateApiKey, hashApiKey } from './api-key';
import { type ApiKeyEntry, InvalidApiKeyConfigError } from './api-key-entry';
import { API_KEY_MAX_LENGTH, ApiKeyRing } from './api-key-ring';
import { hasScope } from './api-scope';

const adminKey = generateApiKey();
const readerKey = generateApiKey();
const entries: ApiKeyEntry[] = [
  { name: 'ops', sha256: hashApiKey(adminKey), scopes: ['admin'] },
  { name: 'dashboard', sha256: hashApiKey(readerKey), scopes: ['read'] },
];

describe('ApiKeyRing', () => {
  const ring = new ApiKeyRing(entries);

  it('authenticates each right key as its principal, with its scopes', () => {
    expect(ring.authenticate(adminKey)).toEqual({ name: 'ops', scopes: ['admin'] });
    expect(ring.authenticate(readerKey)).toEqual({ name: 'dashboard', scopes: ['read'] });
  });

  it('gives an admin key read too, and a read key no admin', () => {
    expect(hasScope(ring.authenticate(adminKey)!, 'read')).toBe(true);
    expect(hasScope(ring.authenticate(readerKey)!, 'admin')).toBe(false);
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['another key', generateApiKey()],
    ['a right key with a trailing space', `${adminKey} `],
    ['a right key cut short', adminKey.slice(0, -1)],
    ['the stored digest itself', hashApiKey(adminKey)],
    ['over-long', 'k'.repeat(API_KEY_MAX_LENGTH + 1)],
    ['a right key padded past the cap', adminKey.padEnd(API_KEY_MAX_LENGTH + 1, ' ')],
  ])('rejects a key that is %s', (_label, presented) => {
    expect(ring.authenticate(presented)).toBeUndefined();
  });

  it('accepts a key of exactly the maximum length', () => {
    const longKey = 'k'.repeat(API_KEY_MAX_LENGTH);
    const longRing = new ApiKeyRing([{ name: 'long', sha256: hashApiKey(longKey), scopes: ['read'] }]);
    expect(longRing.authenticate(longKey)?.name).toBe('long');
  });

  it('authenticates nobody when it holds no keys', () => {
    expect(new ApiKeyRing([]).authenticate(adminKey)).toBeUndefined();
  });

  it('hands out principals that callers cannot widen', () => {
    const principal = ring.authenticate(readerKey)!;
    expect(() => (principal.scopes as string[]).push('admin')).toThrow(TypeError);
    expect(ring.authenticate(readerKey)?.scopes).toEqual(['read']);
  });

  it('refuses a malformed digest when built, not at the first request', () => {
    expect(() => new ApiKeyRing([{ name: 'bad', sha256: 'xyz', scopes: ['read'] }])).toThrow(InvalidApiKeyConfigError);
    expect(() => new ApiKeyRing([{ name: 'bad', sha256: 'A'.repeat(64), scopes: ['read'] }])).toThrow(/api key bad/);
  });
});
