import { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuditPrincipal } from '../auth/audit-principal.interface';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminAuthService } from './admin-auth.service';
import { AdminPermission } from '../http/require-permission.decorator';
import { ApiException } from '../http/api-error';

/** The guard with a host principal, as `resolvePrincipal` gives it (no token, no claims check). */
function guardFor(principal: AuditPrincipal, permission: AdminPermission) {
  const reflector = { getAllAndOverride: () => permission } as unknown as Reflector;
  const auth = { authenticate: async () => principal } as unknown as AdminAuthService;
  const req = { params: { orgId: 'acme' }, headers: {} };
  const context = {
    getHandler: () => undefined,
    getClass: () => undefined,
    switchToHttp: () => ({ getRequest: () => req }),
  } as unknown as ExecutionContext;
  return () => new AdminAuthGuard(reflector, auth).canActivate(context);
}

describe('AdminAuthGuard with a host principal', () => {
  const host = (roles: string[]): AuditPrincipal => ({
    sub: 'u-1',
    orgs: { acme: roles },
    scopes: ['events:write'],
  });

  it.each([[['']], [[' ']], [['', '\n']]])('a blank role %j may not write', async (roles) => {
    await expect(guardFor(host(roles), 'write')()).rejects.toBeInstanceOf(ApiException);
    await expect(guardFor(host(roles), 'write')()).rejects.toMatchObject({ status: 403 });
  });

  it('a real role beside a blank one may write', async () => {
    await expect(guardFor(host(['', 'site-admin']), 'write')()).resolves.toBe(true);
  });
});
