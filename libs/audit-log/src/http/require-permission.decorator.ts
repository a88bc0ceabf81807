import { SetMetadata } from '@nestjs/common';

export const ADMIN_PERMISSION = 'auditkit:admin-permission';

/**
 * What a route needs, for the path's org:
 * - `read`: org-admin, or an API key with `events:read`;
 * - `write`: scope `events:write` and a role (an API key with `events:write` has both);
 * - `export`: org-admin, or an API key with `exports`;
 * - `manage`: org-admin, never an API key (keys, sessions, destinations);
 * - `session`: any signed-in principal.
 */
export type AdminPermission = 'read' | 'write' | 'export' | 'manage' | 'session';

export const RequirePermission = (permission: AdminPermission) =>
  SetMetadata(ADMIN_PERMISSION, permission);
