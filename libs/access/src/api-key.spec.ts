import { API_KEY_PREFIX, generateApiKey, hashApiKey } from './api-key';

describe('generateApiKey', () => {
  it('makes prefixed base64url keys of 32 random bytes, never the same twice', () => {
    const keys = Array.from({ length: 100 }, generateApiKey);
    for (const key of keys) {
      expect(key).toMatch(/^lpk_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(key.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    }
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('hashApiKey', () => {
  it('is the SHA-256 hex digest of the key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('never equals the key and differs between keys', () => {
    const key = generateApiKey();
    const other = generateApiKey();
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiKey(key)).not.toBe(key);
    expect(hashApiKey(key)).not.toContain(key.slice(API_KEY_PREFIX.length));
    expect(hashApiKey(key)).not.toBe(hashApiKey(other));
  });
});
