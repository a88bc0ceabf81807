import { Inject, Injectable } from '@nestjs/common';
import { parse as parseCookie } from 'cookie';
import type { Request } from 'express';
import { AuditPrincipal } from '../auth/audit-principal.interface';
import { InvalidTokenError, JwtVerifier } from '../auth/jwt';
import { AuditClock } from '../common/clock';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from './audit-admin.module-definition';
import { apiError, ApiException } from '../http/api-error';
import {
  AdminSessionService,
  isCsrfTokenOf,
  OpenedAdminSession,
} from './sessions/admin-session.service';
import { csrfFailedMessage, sessionEndedMessage } from './sessions/session.messages';
import { clientIp, userAgent } from '../recording/request-event';
import { ApiKeyRefused, ApiKeyService } from './api-keys/api-key.service';
import { looksLikeApiKey } from './api-keys/api-key-secret';
import { looksLikeViewerToken } from './viewer-tokens/viewer-token-claims';
import { ViewerTokenRefused, ViewerTokenService } from './viewer-tokens/viewer-token.service';

export const SESSION_COOKIE = 'auditkit_session';
export const CSRF_COOKIE = 'auditkit_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export { DEFAULT_SESSION_TTL_HOURS } from './audit-admin.module-definition';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const HOUR = 3600_000;

/** The request's cookies, parsed by `cookie`; a malformed value is left undecoded, not fatal. */
export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(parseCookie(req.headers.cookie ?? ''))) {
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Who is calling: a bearer token, the UI's session cookie, or the host's principal. */
@Injectable()
export class AdminAuthService {
  readonly verifier?: JwtVerifier;
  private readonly clock: AuditClock;
  private readonly sessionTtlMs: number;

  constructor(
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
    private readonly sessions: AdminSessionService,
    private readonly apiKeys: ApiKeyService,
    private readonly viewerTokens: ViewerTokenService,
  ) {
    if (options.jwt) this.verifier = new JwtVerifier(options.jwt);
    this.sessionTtlMs = Math.round(options.sessionTtlHours * HOUR);
    this.clock = options.clock;
  }

  get hostMode(): boolean {
    return !!this.options.resolvePrincipal;
  }

  /**
   * The caller, or a 401. A session cookie counts only while its server-side session lives;
   * cookie-authenticated writes must carry the session's CSRF token.
   */
  async authenticate(req: Request): Promise<AuditPrincipal> {
    const header = req.headers.authorization;
    // An org API key is taken in every mode, a host's own sign-in included: integrations use
    // keys that an org admin made, whoever signs the people in.
    const bearer = header === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
    if (bearer !== undefined && looksLikeApiKey(bearer)) {
      try {
        return await this.apiKeys.authenticate(bearer, {
          ip: clientIp(req),
          userAgent: userAgent(req),
        });
      } catch (err) {
        if (err instanceof ApiKeyRefused) throw unauthorized(err.message);
        throw err;
      }
    }
    // A viewer token too, in every mode: the host minted it for the embedded viewer.
    if (bearer !== undefined && looksLikeViewerToken(bearer)) {
      try {
        return await this.viewerTokens.authenticate(bearer);
      } catch (err) {
        if (err instanceof ViewerTokenRefused) throw unauthorized(err.message);
        throw err;
      }
    }
    if (this.options.resolvePrincipal) {
      const principal = this.options.resolvePrincipal(req);
      if (!principal) throw unauthorized('Sign in to view the audit log');
      return principal;
    }
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw unauthorized('The Authorization header must be "Bearer <token>"');
      return this.verify(match[1]);
    }
    const id = readCookies(req)[SESSION_COOKIE];
    if (!id) throw unauthorized('A bearer token or a session is required');
    const session = await this.sessions.find(id);
    if (!session) throw unauthorized(sessionEndedMessage());
    if (!SAFE_METHODS.has(req.method)) checkCsrf(req, id);
    return session.principal;
  }

  /** Verifies a token, answering 401 for anything wrong with it. */
  async verify(token: string): Promise<AuditPrincipal> {
    return (await this.verifyToken(token)).principal;
  }

  /**
   * Opens a UI session for a bearer token. It ends when the token expires or after
   * `sessionTtlHours`, whichever comes first, however far away the token's `exp` lies.
   */
  async openSession(
    token: string,
  ): Promise<{ principal: AuditPrincipal; session: OpenedAdminSession }> {
    const { principal, expiresAt: tokenExpiresAt } = await this.verifyToken(token);
    const now = this.clock.now().getTime();
    const expiresAt = Math.min(tokenExpiresAt, now + this.sessionTtlMs);
    // A token within its clock tolerance past `exp` is valid, but no session is left in it.
    if (!(expiresAt > now)) throw unauthorized('The token has expired');
    return { principal, session: await this.sessions.open(principal, expiresAt) };
  }

  /**
   * Opens a UI session for a principal signed in elsewhere (OpenID Connect): it lasts
   * `sessionTtlHours`, as the sign-in at the provider is not tied to a token's `exp` here.
   */
  async openSessionFor(principal: AuditPrincipal): Promise<OpenedAdminSession> {
    return this.sessions.open(principal, this.clock.now().getTime() + this.sessionTtlMs);
  }

  /**
   * Ends the session of the request's cookie, which needs the session's CSRF token. A cookie
   * whose session already ended (or none) leaves nothing to end and nothing to protect.
   */
  async endSession(req: Request): Promise<void> {
    if (this.hostMode) return;
    const id = readCookies(req)[SESSION_COOKIE];
    if (!id || !(await this.sessions.find(id))) return;
    checkCsrf(req, id);
    await this.sessions.end(id);
  }

  /** Milliseconds from now until `expiresAt` on the sessions' clock. */
  remainingMs(expiresAt: number): number {
    return Math.max(0, expiresAt - this.clock.now().getTime());
  }

  private async verifyToken(token: string) {
    try {
      return await this.verifier!.verifyToken(token);
    } catch (err) {
      throw unauthorized(err instanceof InvalidTokenError ? err.message : 'The token is not valid');
    }
  }
}

function checkCsrf(req: Request, sessionId: string): void {
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !isCsrfTokenOf(sessionId, sent)) {
    throw apiError(403, csrfFailedMessage(), 'csrf_failed');
  }
}

function unauthorized(detail: string): ApiException {
  const e = apiError(401, detail);
  return new ApiException(401, e.errors, { 'WWW-Authenticate': 'Bearer' });
}
