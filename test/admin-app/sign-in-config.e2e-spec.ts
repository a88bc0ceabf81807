import { ConfigError } from '../../apps/admin/src/env';
import { loadSignInConfig } from '../../apps/admin/src/oidc-config';

const PUBLIC = 'https://audit.example.com';
const OIDC = {
  AUDITKIT_OIDC_ISSUER: 'https://sso.example.com/realms/acme',
  AUDITKIT_OIDC_CLIENT_ID: 'auditkit',
  AUDITKIT_OIDC_ROLES_CLAIM: 'auditkit_orgs',
};

describe('the admin app: sign-in configuration', () => {
  it('the token sign-in is on in development and off in production unless asked for', () => {
    expect(loadSignInConfig({}, PUBLIC, false)).toEqual({ tokenSignIn: true });
    expect(loadSignInConfig({}, PUBLIC, true)).toEqual({ tokenSignIn: false });
    expect(loadSignInConfig({ AUDITKIT_TOKEN_SIGNIN: 'true' }, PUBLIC, true).tokenSignIn).toBe(
      true,
    );
    expect(loadSignInConfig({ AUDITKIT_TOKEN_SIGNIN: 'false' }, PUBLIC, false).tokenSignIn).toBe(
      false,
    );
  });

  it('reads the OIDC variables; the callback is made from PUBLIC_URL', () => {
    const { oidc } = loadSignInConfig(
      {
        ...OIDC,
        AUDITKIT_OIDC_CLIENT_SECRET: 's3cret',
        AUDITKIT_OIDC_SCOPES: 'openid profile,email groups',
        AUDITKIT_OIDC_PROVIDER_NAME: 'Keycloak',
        AUDITKIT_OIDC_GROUPS: '{"admins":[{"org":"acme","role":"org-admin"}]}',
        AUDITKIT_OIDC_GROUPS_CLAIM: 'roles',
      },
      PUBLIC,
      true,
    );
    expect(oidc).toEqual({
      issuer: OIDC.AUDITKIT_OIDC_ISSUER,
      clientId: 'auditkit',
      clientSecret: 's3cret',
      scopes: ['openid', 'profile', 'email', 'groups'],
      redirectUri: `${PUBLIC}/admin/v1/session/oidc/callback`,
      providerName: 'Keycloak',
      roles: {
        claim: 'auditkit_orgs',
        groupsClaim: 'roles',
        groups: { admins: [{ org: 'acme', role: 'org-admin' }] },
      },
    });
  });

  it.each([
    [{ AUDITKIT_OIDC_ISSUER: 'not a url' }, 'AUDITKIT_OIDC_ISSUER is not a valid URL'],
    [{ AUDITKIT_OIDC_CLIENT_ID: 'x' }, 'AUDITKIT_OIDC_CLIENT_ID needs AUDITKIT_OIDC_ISSUER'],
    [
      { ...OIDC, AUDITKIT_OIDC_CLIENT_ID: '' },
      'AUDITKIT_OIDC_CLIENT_ID is required with AUDITKIT_OIDC_ISSUER',
    ],
    [{ ...OIDC, AUDITKIT_OIDC_SCOPES: 'profile' }, 'AUDITKIT_OIDC_SCOPES must include openid'],
    [
      { ...OIDC, AUDITKIT_OIDC_ROLES_CLAIM: '' },
      "Set AUDITKIT_OIDC_ROLES_CLAIM or AUDITKIT_OIDC_GROUPS to map the provider's claims to org roles",
    ],
    [
      { ...OIDC, AUDITKIT_OIDC_GROUPS: '{"admins":["acme"]}' },
      'AUDITKIT_OIDC_GROUPS must be JSON like {"group": [{"org": "acme", "role": "org-admin"}]}',
    ],
    [
      { ...OIDC, AUDITKIT_OIDC_GROUPS: 'nope' },
      'AUDITKIT_OIDC_GROUPS must be JSON like {"group": [{"org": "acme", "role": "org-admin"}]}',
    ],
    [
      { AUDITKIT_TOKEN_SIGNIN: 'maybe' },
      'AUDITKIT_TOKEN_SIGNIN must be true or false (got "maybe")',
    ],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadSignInConfig(env, PUBLIC, false)).toThrow(new ConfigError(message));
  });
});
