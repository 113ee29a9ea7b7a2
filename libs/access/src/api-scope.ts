export const API_SCOPES = ['read', 'admin'] as const;

/** What a key may do: `read` queries predictions, `admin` also triggers, publishes and rolls back. */
export type ApiScope = (typeof API_SCOPES)[number];

/** Who presented a key: the key's name (the actor in audit rows) and the scopes it was given. */
export interface ApiPrincipal {
  readonly name: string;
  readonly scopes: readonly ApiScope[];
}

/** The scopes that grant each scope: admin implies read. */
const GRANTED_BY: Readonly<Record<ApiScope, readonly ApiScope[]>> = {
  read: ['read', 'admin'],
  admin: ['admin'],
};

export function hasScope(principal: ApiPrincipal, scope: ApiScope): boolean {
  return GRANTED_BY[scope].some((granting) => principal.scopes.includes(granting));
}
