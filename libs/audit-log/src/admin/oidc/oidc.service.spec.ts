import { createServer } from 'node:net';
import { ApiException } from '../../http/api-error';
import { resolveAuditAdminOptions } from '../audit-admin.module-definition';
import { OidcService } from './oidc.service';

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

describe('OidcService', () => {
  it('answers 503 naming the provider when its discovery cannot be read, and 404 without OIDC', async () => {
    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const service = new OidcService(
      resolveAuditAdminOptions({
        jwt: { secret: 'x'.repeat(32) },
        oidc: {
          issuer,
          clientId: 'auditkit',
          redirectUri: 'http://127.0.0.1/admin/v1/session/oidc/callback',
          roles: { claim: 'orgs' },
        },
      }),
    );
    const refused = await service.start().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiException);
    expect((refused as ApiException).getStatus()).toBe(503);
    expect((refused as ApiException).errors[0]).toMatchObject({ code: 'oidc_unavailable' });
    expect((refused as ApiException).errors[0].detail).toContain(issuer);
    // No end-session URL to offer: signing out stays local.
    expect(await service.logoutUrl('token')).toBeNull();

    const off = new OidcService(resolveAuditAdminOptions({ jwt: { secret: 'x'.repeat(32) } }));
    const missing = await off.start().catch((e: unknown) => e);
    expect((missing as ApiException).getStatus()).toBe(404);
  });
});
