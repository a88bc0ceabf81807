import type { Request } from 'express';
import type { AuditPrincipal } from '../auth/audit-principal.interface';
import type { JwtAuthOptions } from '../auth/jwt';

/** Options of `AuditAdminModule.forRoot()` / `forRootAsync()`. */
export interface AuditAdminModuleOptions {
  /**
   * Standalone mode: bearer JWTs (and the UI's session cookie holding one) verified with these
   * settings. Give this or `resolvePrincipal`.
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
}
