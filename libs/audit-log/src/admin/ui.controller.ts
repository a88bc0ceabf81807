import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from './audit-admin.module-definition';
import type { Request, Response } from 'express';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiExcludeController } from '../http/openapi/swagger';

// The UI ships beside src/ and dist/ in the package (libs/audit-log/ui), two levels up from here.
const UI_DIR = join(__dirname, '..', '..', 'ui');
const FILES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};
const cache = new Map<string, Buffer>();

function file(name: string): Buffer {
  let body = cache.get(name);
  if (!body) {
    body = readFileSync(join(UI_DIR, name));
    cache.set(name, body);
  }
  return body;
}

/** Serves the admin web UI (static; it talks only to the REST API). */
@Controller()
@ApiExcludeController() // static files of the web UI, not API
export class UiController {
  constructor(
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
  ) {}

  @Get()
  index(@Req() req: Request, @Res() res: Response) {
    const path = (req.originalUrl ?? '/').split('?')[0];
    // Relative URLs in the UI need the trailing slash when mounted under a path.
    if (!path.endsWith('/'))
      return res.redirect(301, path + '/' + (req.originalUrl.slice(path.length) || ''));
    this.send(res, 'index.html');
  }

  @Get('app.js')
  script(@Res() res: Response) {
    this.send(res, 'app.js');
  }

  @Get('app.css')
  style(@Res() res: Response) {
    this.send(res, 'app.css');
  }

  @Get('favicon.ico')
  favicon(@Res() res: Response) {
    res.status(204).end();
  }

  private send(res: Response, name: string) {
    if (this.options.ui === false) {
      res.status(404).json({ errors: [{ status: '404', code: 'not_found', title: 'Not found' }] });
      return;
    }
    res.setHeader('Content-Type', FILES[name]);
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(file(name));
  }
}
