import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { AuditPrincipal } from '../auth/audit-principal.interface';
import { InvalidTokenError, JwtVerifier } from '../auth/jwt';
import { AuditAdminModuleOptions } from './audit-admin-options.interface';
import { AUDIT_ADMIN_MODULE_OPTIONS } from './audit-admin.module-definition';
import { apiError, ApiException } from './api-error';

export const SESSION_COOKIE = 'auditkit_session';
export const CSRF_COOKIE = 'auditkit_csrf';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Parses the Cookie header (no dependency for a dozen lines). */
export function readCookies(req: Request): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // A malformed cookie is ignored rather than failing the request.
    }
  }
  return out;
}

/** Who is calling: a bearer token, the UI's session cookie, or the host's principal. */
@Injectable()
export class AdminAuthService {
  readonly verifier?: JwtVerifier;

  constructor(
    @Inject(AUDIT_ADMIN_MODULE_OPTIONS) private readonly options: AuditAdminModuleOptions,
  ) {
    if (!options.jwt && !options.resolvePrincipal) {
      throw new Error(
        'AuditAdminModule: give options.jwt (standalone) or options.resolvePrincipal (host mode)',
      );
    }
    if (options.jwt) this.verifier = new JwtVerifier(options.jwt);
  }

  get hostMode(): boolean {
    return !!this.options.resolvePrincipal;
  }

  /** The caller, or a 401. Cookie-authenticated writes must carry the CSRF token. */
  async authenticate(req: Request): Promise<AuditPrincipal> {
    if (this.options.resolvePrincipal) {
      const principal = this.options.resolvePrincipal(req);
      if (!principal) throw unauthorized('Sign in to view the audit log');
      return principal;
    }
    const header = req.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (!match) throw unauthorized('The Authorization header must be "Bearer <token>"');
      return this.verify(match[1]);
    }
    const cookies = readCookies(req);
    const session = cookies[SESSION_COOKIE];
    if (!session) throw unauthorized('A bearer token or a session is required');
    const principal = await this.verify(session);
    if (!SAFE_METHODS.has(req.method)) {
      // As bytes: equal lengths in characters may differ in UTF-8 (timingSafeEqual throws).
      const sent = Buffer.from(String(req.headers[CSRF_HEADER] ?? ''));
      const expected = Buffer.from(cookies[CSRF_COOKIE] ?? '');
      if (!expected.length || sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
        throw apiError(
          403,
          'Missing or wrong X-CSRF-Token header for a cookie-authenticated request',
          'csrf_failed',
        );
      }
    }
    return principal;
  }

  /** Verifies a token, answering 401 for anything wrong with it. */
  async verify(token: string): Promise<AuditPrincipal> {
    try {
      return await this.verifier!.verify(token);
    } catch (err) {
      throw unauthorized(err instanceof InvalidTokenError ? err.message : 'The token is not valid');
    }
  }
}

function unauthorized(detail: string): ApiException {
  const e = apiError(401, detail);
  return new ApiException(401, e.errors, { 'WWW-Authenticate': 'Bearer' });
}
