import { SetMetadata } from '@nestjs/common';

export const ADMIN_PERMISSION = 'auditkit:admin-permission';

/**
 * What a route needs: `read` (org-admin of the path's org), `write` (scope events:write and a
 * role in the path's org) or `session` (any signed-in principal).
 */
export type AdminPermission = 'read' | 'write' | 'session';

export const RequirePermission = (permission: AdminPermission) =>
  SetMetadata(ADMIN_PERMISSION, permission);
