import type { AuditOidcOptions } from '@auditkit/nestjs/admin';
import { ConfigError, flag, url } from './env';

/** Sign-in settings of the web UI (docs/sign-in.md). */
export interface SignInConfig {
  /** OpenID Connect sign-in, when `AUDITKIT_OIDC_ISSUER` is set. */
  oidc?: AuditOidcOptions;
  /** Paste-a-token sign-in (`AUDITKIT_TOKEN_SIGNIN`): off by default in production. */
  tokenSignIn: boolean;
}

/**
 * `AUDITKIT_OIDC_*` and `AUDITKIT_TOKEN_SIGNIN`. The callback is PUBLIC_URL's, so PUBLIC_URL must
 * be the address browsers use. In production with neither OIDC nor the token sign-in, nobody
 * could sign in to the UI: that is refused.
 */
export function loadSignInConfig(
  env: NodeJS.ProcessEnv,
  publicUrl: string,
  production: boolean,
): SignInConfig {
  const tokenSignIn = flag(env, 'AUDITKIT_TOKEN_SIGNIN', !production);
  const issuer = url(env, 'AUDITKIT_OIDC_ISSUER', ['https:', 'http:']);
  if (!issuer) {
    for (const name of oidcVariables(env)) {
      throw new ConfigError(`${name} needs AUDITKIT_OIDC_ISSUER`);
    }
    return { tokenSignIn };
  }
  const clientId = env.AUDITKIT_OIDC_CLIENT_ID || '';
  if (!clientId)
    throw new ConfigError('AUDITKIT_OIDC_CLIENT_ID is required with AUDITKIT_OIDC_ISSUER');
  const scopes = env.AUDITKIT_OIDC_SCOPES
    ? env.AUDITKIT_OIDC_SCOPES.split(/[\s,]+/).filter(Boolean)
    : undefined;
  if (scopes && !scopes.includes('openid')) {
    throw new ConfigError('AUDITKIT_OIDC_SCOPES must include openid');
  }
  const claim = env.AUDITKIT_OIDC_ROLES_CLAIM || undefined;
  const groups = parseGroups(env.AUDITKIT_OIDC_GROUPS);
  if (!claim && !groups) {
    throw new ConfigError(
      "Set AUDITKIT_OIDC_ROLES_CLAIM or AUDITKIT_OIDC_GROUPS to map the provider's claims to org roles",
    );
  }
  return {
    tokenSignIn,
    oidc: {
      issuer,
      clientId,
      clientSecret: env.AUDITKIT_OIDC_CLIENT_SECRET || undefined,
      scopes,
      redirectUri: `${publicUrl}/admin/v1/session/oidc/callback`,
      providerName: env.AUDITKIT_OIDC_PROVIDER_NAME || undefined,
      roles: { claim, groupsClaim: env.AUDITKIT_OIDC_GROUPS_CLAIM || undefined, groups },
    },
  };
}

function oidcVariables(env: NodeJS.ProcessEnv): string[] {
  return [
    'AUDITKIT_OIDC_CLIENT_ID',
    'AUDITKIT_OIDC_CLIENT_SECRET',
    'AUDITKIT_OIDC_ROLES_CLAIM',
    'AUDITKIT_OIDC_GROUPS',
  ].filter((name) => env[name]);
}

/** `{"group": [{"org": "acme", "role": "org-admin"}]}`, checked here for a one-line error. */
function parseGroups(raw: string | undefined): AuditOidcOptions['roles']['groups'] {
  if (!raw) return undefined;
  const bad = () =>
    new ConfigError(
      'AUDITKIT_OIDC_GROUPS must be JSON like {"group": [{"org": "acme", "role": "org-admin"}]}',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw bad();
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw bad();
  for (const grants of Object.values(parsed)) {
    if (!Array.isArray(grants)) throw bad();
    for (const g of grants as { org?: unknown; role?: unknown }[]) {
      if (typeof g?.org !== 'string' || !g.org || typeof g.role !== 'string' || !g.role)
        throw bad();
    }
  }
  return parsed as AuditOidcOptions['roles']['groups'];
}
