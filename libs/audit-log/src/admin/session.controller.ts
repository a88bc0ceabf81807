import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Inject,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { AuditPrincipal, ORG_ADMIN_ROLE } from '../auth/audit-principal.interface';
import { principalOf } from '../http/principal';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminAuthService } from './admin-auth.service';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from './audit-admin.module-definition';
import { clearSessionCookies, setSessionCookies } from './sessions/session-cookies';
import { OIDC_LOGIN_PATH } from './oidc/oidc-options';
import { RequirePermission } from '../http/require-permission.decorator';
import { apiError, ApiExceptionFilter } from '../http/api-error';
import { hostManagesSessionsMessage, tokenSignInOffMessage } from './sessions/session.messages';
import { ApiAdminAuth, ApiCsrfHeader, ApiErrors, ApiJson } from '../http/openapi/decorators';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '../http/openapi/swagger';

/** The body of GET and POST session: who is signed in and the orgs they are org admin of. */
export function sessionBody(p: AuditPrincipal) {
  return {
    data: {
      sub: p.sub,
      name: p.name ?? null,
      email: p.email ?? null,
      orgs: Object.entries(p.orgs)
        .filter(([, roles]) => roles.includes(ORG_ADMIN_ROLE))
        .map(([org]) => org),
    },
  };
}

/**
 * The web UI's session: a bearer token exchanged for a server-side session whose random id is
 * an HttpOnly, SameSite=Lax cookie (Secure behind HTTPS), plus a readable CSRF cookie holding
 * the session's CSRF token, which the UI echoes in X-CSRF-Token on writes. Signing out ends the
 * session on the server: a copy of the cookie is worth nothing afterwards.
 */
@Controller('admin/v1/session')
@ApiTags('session')
@UseGuards(AdminAuthGuard)
@UseFilters(ApiExceptionFilter)
export class SessionController {
  constructor(
    private readonly auth: AdminAuthService,
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
  ) {}

  /** Unauthenticated: what the sign-in page offers. */
  @Get('providers')
  @ApiOperation({ summary: 'How the web UI can sign in: a pasted token, an OpenID Provider' })
  @ApiJson(200, 'SignInMethods', 'The sign-in methods.')
  providers() {
    const oidc = this.options.resolvedOidc;
    return {
      data: {
        tokenSignIn: this.options.tokenSignIn && !this.auth.hostMode,
        oidc: oidc ? { providerName: oidc.providerName, loginPath: OIDC_LOGIN_PATH } : null,
      },
    };
  }

  @Get()
  @ApiOperation({ summary: 'Who is signed in, and the orgs they are org admin of' })
  @ApiAdminAuth()
  @ApiJson(200, 'Session', 'The signed-in user.')
  @ApiErrors(401, 503)
  @RequirePermission('session')
  current(@Req() req: Request) {
    return sessionBody(principalOf(req));
  }

  @Post()
  @ApiOperation({
    summary: 'Sign in: exchange the bearer token for a session cookie (and a CSRF cookie)',
  })
  @ApiBearerAuth('bearer')
  @ApiJson(200, 'Session', 'Signed in.', {
    'Set-Cookie': {
      description: '`auditkit_session` (HttpOnly) and `auditkit_csrf`, SameSite=Lax.',
      schema: { type: 'string' },
    },
  })
  @ApiErrors(401, 403, 405, 413, 415, 503)
  @HttpCode(200)
  async create(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    if (this.auth.hostMode) throw apiError(405, hostManagesSessionsMessage());
    // Only the UI's paste sign-in is off: bearer tokens on the API itself keep working.
    if (!this.options.tokenSignIn) {
      throw apiError(403, tokenSignInOffMessage(), 'token_sign_in_disabled');
    }
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) throw apiError(401, 'Send the token as "Authorization: Bearer <token>"');
    const { principal, session } = await this.auth.openSession(match[1]);
    setSessionCookies(req, res, session, this.auth.remainingMs(session.expiresAt));
    return sessionBody(principal);
  }

  /** Ends the cookie's session (with its CSRF token) and clears both cookies. */
  @Delete()
  @ApiOperation({ summary: 'Sign out: end the session on the server and clear both cookies' })
  @ApiAdminAuth()
  @ApiCsrfHeader()
  @ApiResponse({ status: 204, description: 'Signed out (also when there was no session).' })
  @ApiErrors(403, 503)
  @HttpCode(204)
  async end(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    await this.auth.endSession(req);
    clearSessionCookies(res);
  }
}
