import type { Request } from 'express';
import type { AuditPrincipal } from '../auth/audit-principal.interface';
import type { JwtAuthOptions } from '../auth/jwt';
import type { AuditClock } from '../common/clock';

/** Options of `AuditAdminModule.forRoot()` / `forRootAsync()`. */
export interface AuditAdminModuleOptions {
  /**
   * Standalone mode: bearer JWTs verified with these settings (the UI exchanges one for a
   * server-side session). Give this or `resolvePrincipal`.
   */
  jwt?: JwtAuthOptions;
  /**
   * Host mode: the principal the host's own guard put on the request (roles as in API.md
   * section 3). Return undefined for an anonymous request.
   */
  resolvePrincipal?: (req: Request) => AuditPrincipal | null | undefined;
  /** Signs paging cursors; use the same value on every instance. @default jwt.secret */
  secret?: string;
  /** Serve the web UI at the mount path. @default true */
  ui?: boolean;
  /** Largest JSON body of POST events, in bytes. @default 65536 */
  maxBodyBytes?: number;
  /**
   * Standalone mode: the longest a UI session (`POST /admin/v1/session`) lasts, in hours; it
   * also ends when its token expires, and at sign-out. @default 12
   */
  sessionTtlHours?: number;
  /** Time source of UI session expiry (tests set one). @default the system clock */
  clock?: AuditClock;
}
