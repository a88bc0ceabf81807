import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import {
  AuditViewerGrant,
  EVENTS_WRITE_SCOPE,
  ORG_ADMIN_ROLE,
} from '../auth/audit-principal.interface';
import { nonBlankRoles } from '../auth/claims';
import { AdminAuthService } from './admin-auth.service';
import { ADMIN_PERMISSION, AdminPermission } from '../http/require-permission.decorator';
import { apiError } from '../http/api-error';
import { setPrincipal } from '../http/principal';

// What an org admin may do and the scope that lets an API key do the same.
const READ_LIKE = {
  read: { scope: 'events:read', what: 'read' },
  export: { scope: 'exports', what: 'export' },
} as const;

/** Lets a request through only with the right of docs/api.md section 3 for the path's org. */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AdminAuthService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const permission = this.reflector.getAllAndOverride<AdminPermission | undefined>(
      ADMIN_PERMISSION,
      [context.getHandler(), context.getClass()],
    );
    if (!permission) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const principal = await this.auth.authenticate(req);
    setPrincipal(req, principal);
    const orgId = String(req.params.orgId ?? '');
    if (principal.viewer) {
      checkViewer(principal.viewer, permission, orgId, req.method);
      return true;
    }
    if (permission === 'session') return true;
    // A host's principal did not pass through principalFromClaims: blank roles go here too.
    const roles = Object.prototype.hasOwnProperty.call(principal.orgs, orgId)
      ? nonBlankRoles(principal.orgs[orgId] ?? [])
      : [];
    const key = principal.apiKey;
    if (key && key.orgId !== orgId) {
      throw apiError(403, `This API key belongs to another organization than "${orgId}"`);
    }
    const admin = !key && roles.includes(ORG_ADMIN_ROLE);
    const readLike = READ_LIKE[permission as keyof typeof READ_LIKE];
    if (readLike && !admin && !(key && principal.scopes.includes(readLike.scope))) {
      throw apiError(
        403,
        key
          ? `This API key has no ${readLike.scope} scope`
          : `Only org admins of "${orgId}" can ${readLike.what} its audit log`,
      );
    }
    if (permission === 'manage' && !admin) {
      throw apiError(
        403,
        key
          ? 'API keys cannot manage the organization; sign in as an org admin'
          : `Only org admins of "${orgId}" can do this`,
      );
    }
    if (
      permission === 'write' &&
      (!roles.length || !principal.scopes.includes(EVENTS_WRITE_SCOPE))
    ) {
      throw apiError(
        403,
        `Recording events for "${orgId}" needs the ${EVENTS_WRITE_SCOPE} scope and a role in the org`,
      );
    }
    return true;
  }
}

/**
 * A viewer token reads its own org, and exports when it names an e-mail; nothing else (no
 * session, no keys, no destinations, no recording). What it reads is narrowed by the routes
 * (viewer-tokens/narrow.ts). The list of recent exports shows admins' e-mails: not for viewers.
 */
function checkViewer(
  viewer: AuditViewerGrant,
  permission: AdminPermission,
  orgId: string,
  method: string,
): void {
  if (permission !== 'read' && permission !== 'export')
    throw apiError(403, 'A viewer token can only read the audit log', 'viewer_token_read_only');
  if (viewer.orgId !== orgId)
    throw apiError(403, `This viewer token is for another organization than "${orgId}"`);
  if (permission === 'export') {
    if (method !== 'POST')
      throw apiError(403, 'A viewer token cannot list exports', 'viewer_token_read_only');
    if (!viewer.exportEmail)
      throw apiError(403, 'This viewer token does not allow exports', 'viewer_token_no_export');
  }
}
