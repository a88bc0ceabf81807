import { InvalidTokenError } from '../../auth/jwt';
import { resolveAuditAdminOptions } from '../audit-admin.module-definition';
import { principalFromOidcClaims } from './oidc-claims';
import { openFlow, sealFlow } from './oidc-flow-cookie';
import { resolveOidcOptions } from './oidc-options';

const base = {
  issuer: 'https://sso.example.com',
  clientId: 'auditkit',
  redirectUri: 'https://audit.example.com/audit/admin/v1/session/oidc/callback',
};

describe('OIDC claims to roles', () => {
  const roles = resolveOidcOptions({
    ...base,
    roles: {
      claim: 'auditkit_orgs',
      groups: {
        'acme-admins': [{ org: 'acme', role: 'org-admin' }],
        'globex-admins': [{ org: 'globex', role: 'org-admin' }],
      },
    },
  }).roles;

  it('merges the roles claim and the groups table, and nothing else', () => {
    const p = principalFromOidcClaims(
      {
        sub: 'u-1',
        name: 'Ann',
        email: 'ann@acme.test',
        auditkit_orgs: { acme: ['org-admin'], initech: ['viewer', ''] },
        groups: ['globex-admins', 'acme-admins', 'unmapped', 42],
        orgs: { evil: ['org-admin'] },
        scope: 'events:write',
      },
      roles,
    );
    expect(p).toEqual({
      sub: 'u-1',
      name: 'Ann',
      email: 'ann@acme.test',
      orgs: { acme: ['org-admin'], initech: ['viewer'], globex: ['org-admin'] },
      scopes: [],
    });
  });

  it('grants nothing without the claims, and refuses a roles claim of the wrong shape', () => {
    expect(principalFromOidcClaims({ sub: 'u-2', groups: 'acme-admins' }, roles).orgs).toEqual({});
    expect(() => principalFromOidcClaims({ sub: 'u-3', auditkit_orgs: ['acme'] }, roles)).toThrow(
      InvalidTokenError,
    );
    expect(() => principalFromOidcClaims({ auditkit_orgs: {} }, roles)).toThrow(InvalidTokenError);
  });
});

describe('OIDC options', () => {
  it('fills in defaults; the UI is where the callback is mounted', () => {
    const o = resolveOidcOptions({ ...base, roles: { claim: 'x' } });
    expect(o).toMatchObject({
      scopes: ['openid', 'profile', 'email'],
      uiUrl: 'https://audit.example.com/audit/',
      postLogoutRedirectUri: 'https://audit.example.com/audit/',
      providerName: 'your identity provider',
      roles: { claim: 'x', groupsClaim: 'groups' },
    });
  });

  it.each([
    [{ issuer: 'sso' }, 'options.oidc.issuer must be an absolute http(s) URL'],
    [{ clientId: '' }, 'options.oidc.clientId must be a non-empty string'],
    [{ scopes: ['profile'] }, 'options.oidc.scopes must include openid'],
    [
      { redirectUri: 'https://a.test/cb' },
      'options.oidc.redirectUri must end in /admin/v1/session/oidc/callback',
    ],
    [{ roles: {} }, 'options.oidc.roles needs claim or groups'],
    [
      { roles: { groups: { g: [{ org: 'acme' }] } } },
      'options.oidc.roles.groups must map group names',
    ],
  ])('refuses %j naming the option', (bad, message) => {
    expect(() =>
      resolveAuditAdminOptions({
        jwt: { secret: 'x'.repeat(32) },
        oidc: { ...base, roles: { claim: 'x' }, ...(bad as object) },
      }),
    ).toThrow(message);
  });

  it('needs a secret to sign the flow cookie, and standalone mode', () => {
    const oidc = { ...base, roles: { claim: 'x' } };
    expect(() =>
      resolveAuditAdminOptions({ jwt: { jwksUrl: 'https://a.test/jwks' }, oidc }),
    ).toThrow('options.oidc needs options.secret');
    expect(() =>
      resolveAuditAdminOptions({ resolvePrincipal: () => undefined, secret: 's', oidc }),
    ).toThrow('options.oidc is for standalone mode');
  });
});

describe('the flow cookie', () => {
  const flow = {
    state: 's'.repeat(43),
    nonce: 'n'.repeat(43),
    codeVerifier: 'v'.repeat(43),
    expiresAt: 2000,
  };

  it('opens only untouched, unexpired, with the same key', () => {
    const sealed = sealFlow(flow, 'key');
    expect(openFlow(sealed, 'key', 1000)).toEqual(flow);
    expect(openFlow(sealed, 'key', 2000)).toBeNull();
    expect(openFlow(sealed, 'other', 1000)).toBeNull();
    expect(openFlow(sealed.replace(/^./, 'x'), 'key', 1000)).toBeNull();
    expect(openFlow(`${sealed}.x`, 'key', 1000)).toBeNull();
    expect(openFlow(undefined, 'key', 1000)).toBeNull();
    expect(openFlow(sealFlow({ ...flow, nonce: 'short' }, 'key'), 'key', 1000)).toBeNull();
  });
});
