/** Where the provider sends the browser back: the route of {@link OidcController}'s callback. */
export const OIDC_CALLBACK_PATH = '/admin/v1/session/oidc/callback';

/** The sign-in route, relative to the web UI (what its button links to). */
export const OIDC_LOGIN_PATH = 'admin/v1/session/oidc/login';

/** OpenID Connect sign-in of the web UI (`AuditAdminModuleOptions.oidc`, docs/sign-in.md). */
export interface AuditOidcOptions {
  /** The provider's issuer URL; its `/.well-known/openid-configuration` is read at first use. */
  issuer: string;
  /** The client id registered at the provider. */
  clientId: string;
  /** The client secret (`client_secret_basic`); leave out for a public client (PKCE only). */
  clientSecret?: string;
  /** Scopes asked for. @default ['openid', 'profile', 'email'] */
  scopes?: string[];
  /** Absolute URL of the callback, ending in `/admin/v1/session/oidc/callback`. */
  redirectUri: string;
  /** Where the provider sends the browser after signing out. @default the web UI */
  postLogoutRedirectUri?: string;
  /** The provider's name on the sign-in button ("Sign in with <name>"). @default 'your identity provider' */
  providerName?: string;
  /** How the ID token's claims become AuditKit roles per org. Give `claim` or `groups` (or both). */
  roles: AuditOidcRoleMapping;
}

/** How the ID token's claims become roles per org (see `AuditOidcOptions.roles`). */
export interface AuditOidcRoleMapping {
  /** A claim holding roles per org, `{ "acme": ["org-admin"] }`, as the `orgs` claim of a JWT. */
  claim?: string;
  /** The claim holding the user's groups (a list of strings). @default 'groups' */
  groupsClaim?: string;
  /** Groups to grants: `{ "auditkit-acme-admins": [{ "org": "acme", "role": "org-admin" }] }`. */
  groups?: Record<string, { org: string; role: string }[]>;
}

/** The OIDC options with defaults filled in. */
export interface ResolvedOidcOptions extends AuditOidcOptions {
  scopes: string[];
  postLogoutRedirectUri: string;
  providerName: string;
  /** The web UI's address, where a signed-in user is sent. */
  uiUrl: string;
  roles: AuditOidcRoleMapping & { groupsClaim: string };
}

function absoluteUrl(value: unknown, name: string): URL {
  let parsed: URL | undefined;
  try {
    parsed = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed || !['http:', 'https:'].includes(parsed.protocol)) {
    throw new Error(`options.oidc.${name} must be an absolute http(s) URL`);
  }
  return parsed;
}

function nonEmpty(value: unknown, name: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`options.oidc.${name} must be a non-empty string`);
  }
}

/** Checks `options.oidc` and fills in its defaults; throws naming the bad key. */
export function resolveOidcOptions(o: AuditOidcOptions): ResolvedOidcOptions {
  absoluteUrl(o.issuer, 'issuer');
  nonEmpty(o.clientId, 'clientId');
  if (o.clientSecret !== undefined) nonEmpty(o.clientSecret, 'clientSecret');
  const scopes = o.scopes ?? ['openid', 'profile', 'email'];
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === 'string' && /^\S+$/.test(s))) {
    throw new Error('options.oidc.scopes must be a list of scopes without spaces');
  }
  if (!scopes.includes('openid')) throw new Error('options.oidc.scopes must include openid');
  const redirect = absoluteUrl(o.redirectUri, 'redirectUri');
  if (!redirect.pathname.endsWith(OIDC_CALLBACK_PATH) || redirect.search || redirect.hash) {
    throw new Error(`options.oidc.redirectUri must end in ${OIDC_CALLBACK_PATH}`);
  }
  const uiUrl = redirect.origin + redirect.pathname.slice(0, -OIDC_CALLBACK_PATH.length) + '/';
  const postLogoutRedirectUri = o.postLogoutRedirectUri ?? uiUrl;
  absoluteUrl(postLogoutRedirectUri, 'postLogoutRedirectUri');
  const providerName = o.providerName ?? 'your identity provider';
  nonEmpty(providerName, 'providerName');
  const roles = o.roles;
  if (!roles || typeof roles !== 'object') {
    throw new Error('options.oidc.roles must say how claims map to roles: claim or groups');
  }
  if (roles.claim !== undefined) nonEmpty(roles.claim, 'roles.claim');
  if (roles.groupsClaim !== undefined) nonEmpty(roles.groupsClaim, 'roles.groupsClaim');
  if (roles.groups !== undefined) checkGroups(roles.groups);
  if (roles.claim === undefined && roles.groups === undefined) {
    throw new Error('options.oidc.roles needs claim or groups');
  }
  return {
    ...o,
    scopes,
    postLogoutRedirectUri,
    providerName,
    uiUrl,
    roles: { ...roles, groupsClaim: roles.groupsClaim ?? 'groups' },
  };
}

function checkGroups(groups: unknown): void {
  const bad = () =>
    new Error(
      'options.oidc.roles.groups must map group names to lists of { org, role } (non-empty strings)',
    );
  if (!groups || typeof groups !== 'object' || Array.isArray(groups)) throw bad();
  for (const grants of Object.values(groups)) {
    if (!Array.isArray(grants)) throw bad();
    for (const g of grants as unknown[]) {
      const { org, role } = (g ?? {}) as { org?: unknown; role?: unknown };
      if (typeof org !== 'string' || !org.trim() || typeof role !== 'string' || !role.trim()) {
        throw bad();
      }
    }
  }
}
