import { hashApiKey } from './api-key';
import { InvalidApiKeyConfigError, parseApiKeyEntries } from './api-key-entry';

const valid = { name: 'ops', sha256: hashApiKey('lpk_a'), scopes: ['admin'] };

describe('parseApiKeyEntries', () => {
  it('accepts valid entries', () => {
    const other = { name: 'dash.board@team-1', sha256: hashApiKey('lpk_b'), scopes: ['read', 'admin'] };
    expect(parseApiKeyEntries([valid, other], 'keys.json')).toEqual([valid, other]);
    expect(parseApiKeyEntries([], 'keys.json')).toEqual([]);
  });

  it.each([
    ['a name with a space', { name: 'o ps' }, /at \[0\]\.name/],
    ['an empty name', { name: '' }, /at \[0\]\.name/],
    ['a name over 64 characters', { name: 'n'.repeat(65) }, /at \[0\]\.name/],
    ['a short hash', { sha256: 'abc' }, /at \[0\]\.sha256/],
    ['an upper-case hash', { sha256: hashApiKey('lpk_a').toUpperCase() }, /at \[0\]\.sha256/],
    ['no scopes', { scopes: [] }, /at \[0\]\.scopes/],
    ['an unknown scope', { scopes: ['write'] }, /at \[0\]\.scopes/],
    ['an unknown field', { key: 'lpk_a' }, /Unrecognized key: "key"/],
  ])('refuses %s, naming the origin and the field', (_label, change, field) => {
    const parse = (): unknown => parseApiKeyEntries([{ ...valid, ...change }], '/etc/platform/api-keys.json');
    expect(parse).toThrow(InvalidApiKeyConfigError);
    expect(parse).toThrow(/api-keys\.json/);
    expect(parse).toThrow(field);
  });

  it('refuses an object instead of a list of entries', () => {
    expect(() => parseApiKeyEntries({ ops: valid }, 'keys.json')).toThrow(/expected array/);
  });

  it('refuses an entry without a hash, naming the missing field', () => {
    expect(() => parseApiKeyEntries([{ name: 'ops', scopes: ['read'] }], 'keys.json')).toThrow(/at \[0\]\.sha256/);
  });

  it('refuses two entries of one name', () => {
    expect(() => parseApiKeyEntries([valid, { ...valid, sha256: hashApiKey('lpk_b') }], 'keys.json')).toThrow(
      /keys\.json name ops twice/,
    );
  });

  it('refuses one key stored under two names', () => {
    expect(() => parseApiKeyEntries([valid, { ...valid, name: 'ops2' }], 'keys.json')).toThrow(/another name/);
  });
});
