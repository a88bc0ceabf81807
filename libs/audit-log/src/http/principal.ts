import type { Request } from 'express';
import type { AuditPrincipal } from '../auth/audit-principal.interface';

/** The request property the auth guard puts the principal on. */
const PRINCIPAL_KEY = 'auditPrincipal';

/** The principal the auth guard found for this request (undefined before the guard ran). */
export function principalOf(req: Request): AuditPrincipal {
  return (req as unknown as Record<string, AuditPrincipal>)[PRINCIPAL_KEY];
}

/** Puts the authenticated principal on the request, for handlers and rate-limit keys. */
export function setPrincipal(req: Request, principal: AuditPrincipal): void {
  (req as unknown as Record<string, AuditPrincipal>)[PRINCIPAL_KEY] = principal;
}
