import {
  Controller,
  Delete,
  Get,
  HttpCode,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { randomBytes } from 'node:crypto';
import { AuditPrincipal, ORG_ADMIN_ROLE } from '../auth/audit-principal.interface';
import { AdminAuthGuard, principalOf } from './admin-auth.guard';
import { AdminAuthService, CSRF_COOKIE, SESSION_COOKIE } from './admin-auth.service';
import { RequirePermission } from './admin-permission.decorator';
import { apiError, ApiExceptionFilter } from './api-error';

function sessionBody(p: AuditPrincipal) {
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
 * The web UI's session: a bearer token exchanged for an HttpOnly, SameSite=Lax cookie (Secure
 * behind HTTPS), plus a readable CSRF cookie the UI echoes in X-CSRF-Token on writes.
 */
@Controller('admin/v1/session')
@UseGuards(AdminAuthGuard)
@UseFilters(ApiExceptionFilter)
export class SessionController {
  constructor(private readonly auth: AdminAuthService) {}

  @Get()
  @RequirePermission('session')
  current(@Req() req: Request) {
    return sessionBody(principalOf(req));
  }

  @Post()
  @HttpCode(200)
  async create(@Req() req: Request, @Res({ passthrough: true }) res: Response) {
    if (this.auth.hostMode) throw apiError(405, 'Sessions are managed by the host application');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!match) throw apiError(401, 'Send the token as "Authorization: Bearer <token>"');
    const principal = await this.auth.verify(match[1]);
    const claims = JSON.parse(Buffer.from(match[1].split('.')[1], 'base64url').toString('utf8'));
    const maxAge = Math.max(0, claims.exp * 1000 - Date.now());
    const secure = req.secure;
    res.cookie(SESSION_COOKIE, match[1], {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/',
      maxAge,
    });
    res.cookie(CSRF_COOKIE, randomBytes(24).toString('base64url'), {
      httpOnly: false,
      sameSite: 'lax',
      secure,
      path: '/',
      maxAge,
    });
    return sessionBody(principal);
  }

  @Delete()
  @HttpCode(204)
  end(@Res({ passthrough: true }) res: Response) {
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.clearCookie(CSRF_COOKIE, { path: '/' });
  }
}
