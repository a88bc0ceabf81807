// A real OpenID Provider (oidc-provider 8, ESM) for the sign-in tests, run as a child process
// because jest loads CommonJS. Usage: node oidc-provider.mjs '<json config>'; prints
// `listening <port>` once it serves. Config: { clientId, clientSecret, redirectUri,
// postLogoutRedirectUri, accounts: { [login]: claims } }.
// Its built-in development login form takes any password: the login picks the account.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2]);
const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.clientId,
      client_secret: config.clientSecret,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [config.redirectUri],
      post_logout_redirect_uris: [config.postLogoutRedirectUri],
      response_types: ['code'],
      grant_types: ['authorization_code'],
    },
  ],
  pkce: { methods: ['S256'], required: () => true },
  // The ID token carries the scopes' claims (as Keycloak and Entra ID can be set to do).
  conformIdTokenClaims: false,
  claims: {
    openid: ['sub', 'auditkit_orgs', 'groups'],
    profile: ['name'],
    email: ['email'],
  },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ['oidc-provider-test-cookie-key'] },
  async findAccount(ctx, id) {
    const claims = config.accounts[id];
    if (!claims) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...claims }) };
  },
  // Every account consents to the one client: no consent page in the tests.
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return Grant.find(grantId);
    const grant = new Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid profile email');
    await grant.save();
    return grant;
  },
});
provider.on('server_error', (ctx, err) => console.error('oidc-provider server_error', err));
server.on('request', provider.callback());
console.log(`listening ${port}`);
