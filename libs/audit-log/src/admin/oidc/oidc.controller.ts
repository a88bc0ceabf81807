import { Controller, Get, Inject, Req, Res, UseFilters } from '@nestjs/common';
import type { CookieOptions, Request, Response } from 'express';
import { ORG_ADMIN_ROLE } from '../../auth/audit-principal.interface';
import { ApiException, ApiExceptionFilter, apiError, invalidParameter } from '../../http/api-error';
import { ApiErrors } from '../../http/openapi/decorators';
import { ApiOperation, ApiResponse, ApiTags } from '../../http/openapi/swagger';
import { AdminAuthService, readCookies } from '../admin-auth.service';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from '../audit-admin.module-definition';
import { setSessionCookies } from '../sessions/session-cookies';
import {
  OIDC_FLOW_COOKIE,
  OIDC_FLOW_TTL_MS,
  OIDC_ID_TOKEN_COOKIE,
  openFlow,
  sealFlow,
} from './oidc-flow-cookie';
import { sendRefusalPage, UI_FROM_OIDC, wantsHtml } from './oidc-pages';
import { OidcCallbackParams, OidcService } from './oidc.service';

const CALLBACK_PARAMS = ['code', 'state', 'iss', 'error', 'error_description'] as const;

/**
 * OpenID Connect sign-in of the web UI (docs/sign-in.md): the authorization code flow with PKCE,
 * ending in the same server-side session (and cookies) as `POST /admin/v1/session`. These are
 * browser navigations: errors are pages for a browser, the JSON envelope for anything else.
 */
@Controller('admin/v1/session/oidc')
@ApiTags('session')
@UseFilters(ApiExceptionFilter)
export class OidcController {
  constructor(
    private readonly oidc: OidcService,
    private readonly auth: AdminAuthService,
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
  ) {}

  @Get('login')
  @ApiOperation({
    summary: 'Sign in with the OpenID Provider: redirects to it (state, nonce, PKCE)',
  })
  @ApiResponse({
    status: 302,
    description: 'To the provider; sets the `auditkit_oidc_flow` cookie.',
  })
  @ApiErrors(404, 503)
  async login(@Req() req: Request, @Res() res: Response) {
    await this.answer(req, res, async () => {
      const { url, flow } = await this.oidc.start();
      res.cookie(OIDC_FLOW_COOKIE, sealFlow(flow, this.key()), {
        ...this.cookie(req, OIDC_FLOW_TTL_MS),
        // Sent on the provider's redirect back (a top-level GET), as SameSite=Lax allows.
        httpOnly: true,
      });
      res.redirect(302, url);
    });
  }

  @Get('callback')
  @ApiOperation({
    summary: 'Where the OpenID Provider sends the browser back: opens the session, or refuses',
  })
  @ApiResponse({ status: 303, description: 'Signed in: to the web UI, with the session cookies.' })
  @ApiErrors(400, 403, 404, 503)
  async callback(@Req() req: Request, @Res() res: Response) {
    await this.answer(req, res, async () => {
      this.oidc.required();
      const flow = openFlow(
        readCookies(req)[OIDC_FLOW_COOKIE],
        this.key(),
        this.options.clock.now().getTime(),
      );
      // One flow, one try: whatever happens next, the cookie is spent.
      res.clearCookie(OIDC_FLOW_COOKIE, { path: '/' });
      if (!flow) {
        throw invalidParameter(
          'state',
          'cannot be checked: this sign-in was not started in this browser, or has expired (10 minutes); sign in again',
        );
      }
      const params: OidcCallbackParams = {};
      for (const name of CALLBACK_PARAMS) {
        const value = req.query[name];
        if (typeof value === 'string') params[name] = value;
      }
      if (params.state !== flow.state) {
        throw invalidParameter('state', 'does not match the sign-in this browser started');
      }
      const { principal, idToken } = await this.oidc.finish(params, flow);
      const ttl = Math.round(this.options.sessionTtlHours * 3600_000);
      // Kept only in the browser (HttpOnly), for the id_token_hint of signing out at the provider.
      res.cookie(OIDC_ID_TOKEN_COOKIE, idToken, { ...this.cookie(req, ttl), httpOnly: true });
      const adminOf = Object.values(principal.orgs).some((roles) => roles.includes(ORG_ADMIN_ROLE));
      if (!adminOf) {
        throw apiError(
          403,
          'You need to be an organization admin to view the audit log. Your account has no admin role in any organization; ask an admin to grant you one.',
          'not_org_admin',
        );
      }
      const session = await this.auth.openSessionFor(principal);
      setSessionCookies(req, res, session, this.auth.remainingMs(session.expiresAt));
      res.redirect(303, UI_FROM_OIDC);
    });
  }

  @Get('logout')
  @ApiOperation({
    summary: 'Sign out at the OpenID Provider (RP-initiated logout), after DELETE session',
  })
  @ApiResponse({ status: 302, description: "To the provider's end-session endpoint, or the UI." })
  @ApiErrors(404)
  async logout(@Req() req: Request, @Res() res: Response) {
    await this.answer(req, res, async () => {
      this.oidc.required();
      const idToken = readCookies(req)[OIDC_ID_TOKEN_COOKIE];
      res.clearCookie(OIDC_ID_TOKEN_COOKIE, { path: '/' });
      // Without the hint the provider would ask the user again, or not know whom to sign out.
      const url = idToken ? await this.oidc.logoutUrl(idToken) : null;
      res.redirect(302, url ?? UI_FROM_OIDC);
    });
  }

  private key(): string {
    return this.options.secret ?? this.options.jwt!.secret!;
  }

  private cookie(req: Request, maxAge: number): CookieOptions {
    return { sameSite: 'lax', secure: req.secure, path: '/', maxAge };
  }

  /** Runs a route; a refusal is a page for a browser and the JSON envelope otherwise. */
  private async answer(req: Request, res: Response, run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (!(err instanceof ApiException) || !wantsHtml(req)) throw err;
      const hasIdToken = res
        .getHeader('Set-Cookie')
        ?.toString()
        .includes(`${OIDC_ID_TOKEN_COOKIE}=`);
      sendRefusalPage(
        res,
        err.getStatus(),
        err.errors[0],
        hasIdToken ? (this.options.resolvedOidc?.providerName ?? null) : null,
      );
    }
  }
}
