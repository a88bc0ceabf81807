import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import type { AuditPrincipal } from '../auth/audit-principal.interface';
import type { JwtAuthOptions } from '../auth/jwt';
import type { AuditClock } from '../common/clock';
import type { AuditRateLimit } from '../http/rate-limit';
import type { AuditOidcOptions } from './oidc/oidc-options';
import type { AuditViewerTokenOptions } from './viewer-tokens/viewer-token-options';
import type { AuditViewerOptions } from './viewer/viewer-options';

/** Options of `AuditAdminModule.forRoot()` / `forRootAsync()`. */
export interface AuditAdminModuleOptions {
  /**
   * Standalone mode: bearer JWTs verified with these settings (the UI exchanges one for a
   * server-side session). Give this or `resolvePrincipal`.
   */
  jwt?: JwtAuthOptions;
  /**
   * Host mode: the principal the host's own guard put on the request (roles as in docs/api.md
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
  /**
   * Rate limits of the admin API, per principal (`sub`) and org of the path, and for the read
   * routes also per bearer token (`perToken`), in each process (N processes allow N times as
   * much unless `storage` is shared). Over a limit: 429 with `Retry-After`. `false` turns one off.
   * @default see each field
   */
  rateLimit?: AuditAdminRateLimitOptions;
  /**
   * Standalone mode: OpenID Connect sign-in for the web UI (docs/sign-in.md), with the
   * authorization code flow and PKCE through `openid-client` (an optional peer dependency).
   */
  oidc?: AuditOidcOptions;
  /**
   * Whether the web UI may sign in by pasting a bearer token (`POST /admin/v1/session`). Bearer
   * tokens on the API itself work either way. @default true
   */
  tokenSignIn?: boolean;
  /**
   * Viewer tokens (docs/viewer.md): read-only tokens for one org that a host mints for the
   * embedded viewer. They work without this, signed with a key derived from `secret` (else
   * `jwt.secret`); set it for another secret, another maximum life, or the origins allowed to
   * call the API from their pages (CORS).
   * @default { maxTtlSeconds: 86400, allowedOrigins: [] }
   */
  viewerTokens?: AuditViewerTokenOptions;
  /**
   * The web UI's extension points (docs/viewer.md): links from targets to the host's own pages,
   * per target type, and extra columns of the log. Served by `GET viewer-config`.
   * @default no links, no extra columns
   */
  viewer?: AuditViewerOptions;
}

/** Rate limits of `AuditAdminModule` (see `AuditAdminModuleOptions.rateLimit`). */
export interface AuditAdminRateLimitOptions {
  /**
   * GET events (search and paging) and GET events-stream, per principal and org; each route has
   * its own count. This is the limit of the web UI's session.
   * @default { limit: 600, windowMs: 60000 } (600 a minute)
   */
  reads?: AuditRateLimit | false;
  /** POST events (recording over HTTP). @default { limit: 3000, windowMs: 60000 } (3000 a minute) */
  ingest?: AuditRateLimit | false;
  /**
   * Limits per bearer token, on top of `reads` (Atlassian limits per API key). A request signed in
   * with the web UI's session cookie, or by a host's own principal, is not counted here.
   */
  perToken?: AuditAdminTokenRateLimitOptions;
  /**
   * Where the counts are kept, e.g. a Redis-backed `ThrottlerStorage` shared by every instance.
   * @default in the memory of each process
   */
  storage?: ThrottlerStorage;
}

/** Per-token limits of the read routes (see `AuditAdminRateLimitOptions.perToken`). */
export interface AuditAdminTokenRateLimitOptions {
  /**
   * GET events by one bearer token. Off unless set, so that scripts written against the v1
   * contract keep working; `{ limit: 10, windowMs: 60000 }` is Atlassian's limit since May 2025.
   * @default false
   */
  events?: AuditRateLimit | false;
  /**
   * GET events-stream by one bearer token: what a SIEM poller may do.
   * @default { limit: 100, windowMs: 60000 } (100 a minute)
   */
  stream?: AuditRateLimit | false;
}
