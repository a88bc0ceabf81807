import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from '../audit-admin.module-definition';

/**
 * CORS for the origins of `viewerTokens.allowedOrigins`, so that a host's page on another origin
 * can load the viewer's files (`<script type="module">` is fetched with CORS) and call the API
 * with a viewer token. The token travels in a header, never in a cookie, so credentials are not
 * allowed: a listed origin still cannot ride on an admin's session cookie. Other origins get no
 * CORS header, and their preflight goes on to the router (no route answers OPTIONS).
 */
@Injectable()
export class ViewerCorsMiddleware implements NestMiddleware {
  private readonly origins: Set<string>;

  constructor(@Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) options: ResolvedAuditAdminOptions) {
    this.origins = new Set(options.viewerTokens.allowedOrigins);
  }

  use(req: Request, res: Response, next: NextFunction): void {
    if (!this.origins.size) return next();
    // The answer depends on the Origin wherever CORS is on: a shared cache must not mix them.
    res.vary('Origin');
    const origin = req.headers.origin;
    if (typeof origin !== 'string' || !this.origins.has(origin.toLowerCase())) return next();
    res.setHeader('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    res.setHeader('Access-Control-Expose-Headers', 'Location, Retry-After');
    next();
  }
}
