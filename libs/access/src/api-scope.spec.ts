import { type ApiPrincipal, hasScope } from './api-scope';

function principal(...scopes: ApiPrincipal['scopes']): ApiPrincipal {
  return { name: 'ops', scopes };
}

describe('hasScope', () => {
  it('lets admin imply read', () => {
    expect(hasScope(principal('admin'), 'read')).toBe(true);
    expect(hasScope(principal('admin'), 'admin')).toBe(true);
  });

  it('does not let read imply admin', () => {
    expect(hasScope(principal('read'), 'read')).toBe(true);
    expect(hasScope(principal('read'), 'admin')).toBe(false);
  });

  it('grants nothing without scopes', () => {
    expect(hasScope(principal(), 'read')).toBe(false);
    expect(hasScope(principal(), 'admin')).toBe(false);
  });
});
