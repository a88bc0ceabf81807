import type { AuditPrincipal } from '../../auth/audit-principal.interface';
import { principalFromClaims } from '../../auth/jwt';
import type { ResolvedOidcOptions } from './oidc-options';

/**
 * The principal of a verified ID token: roles per org from the roles claim (shaped as the `orgs`
 * claim of a JWT) and from the groups table, merged. Anything else in the claims grants nothing;
 * a roles claim of the wrong shape throws (`InvalidTokenError`), so that a misconfigured
 * provider is refused rather than half-understood.
 */
export function principalFromOidcClaims(
  claims: Record<string, unknown>,
  roles: ResolvedOidcOptions['roles'],
): AuditPrincipal {
  const orgs: Record<string, string[]> = {};
  const grant = (org: string, role: string) => {
    const list = (orgs[org] ??= []);
    if (!list.includes(role)) list.push(role);
  };
  if (roles.claim !== undefined) {
    const held = claims[roles.claim];
    if (held !== undefined) {
      // Checked by principalFromClaims below, as a JWT's orgs claim is.
      const checked = principalFromClaims({ sub: 'x', orgs: held }).orgs;
      for (const [org, list] of Object.entries(checked)) list.forEach((r) => grant(org, r));
    }
  }
  if (roles.groups !== undefined) {
    const groups = claims[roles.groupsClaim];
    const names = Array.isArray(groups) ? groups.filter((g) => typeof g === 'string') : [];
    for (const name of names) {
      if (!Object.prototype.hasOwnProperty.call(roles.groups, name)) continue;
      for (const g of roles.groups[name]) grant(g.org, g.role);
    }
  }
  // Only what the mapping says: never a provider's `scope`, never its own `orgs`.
  return principalFromClaims({ sub: claims.sub, name: claims.name, email: claims.email, orgs });
}
