import { Controller, Get, Inject, Param, Req, Res } from '@nestjs/common';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from './audit-admin.module-definition';
import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiExcludeController } from '../http/openapi/swagger';

// The UI ships beside src/ and dist/ in the package (libs/audit-log/ui), two levels up from here.
const UI_DIR = join(__dirname, '..', '..', 'ui');
const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
// Plain lower-case names, no dots or slashes of their own: nothing that could leave the folder.
const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * The files the UI may serve: what the ui folder held when the controller was made, filtered to
 * strict names. A request for anything else never reaches the file system.
 */
function listUiFiles(): Set<string> {
  let entries: string[];
  try {
    entries = readdirSync(UI_DIR);
  } catch {
    return new Set();
  }
  return new Set(
    entries.filter((f) => {
      const dot = f.lastIndexOf('.');
      return dot > 0 && NAME.test(f.slice(0, dot)) && f.slice(dot + 1) in CONTENT_TYPES;
    }),
  );
}

const cache = new Map<string, { body: Buffer; etag: string }>();

function file(name: string): { body: Buffer; etag: string } {
  let entry = cache.get(name);
  if (!entry) {
    const body = readFileSync(join(UI_DIR, name));
    // The files' own validator, so that revalidation works whatever the host's `etag` setting
    // (the admin app turns Express's off: hashing every JSON answer cost its API time).
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    entry = { body, etag };
    cache.set(name, entry);
  }
  return entry;
}

/**
 * Serves the admin web UI (static; it talks only to the REST API): index.html and the ES modules
 * and style sheets beside it, all at the mount path's top level so that relative URLs work.
 */
@Controller()
@ApiExcludeController() // static files of the web UI, not API
export class UiController {
  private readonly files: Set<string>;

  constructor(
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
  ) {
    this.files = options.ui === false ? new Set() : listUiFiles();
  }

  @Get()
  index(@Req() req: Request, @Res() res: Response) {
    const path = (req.originalUrl ?? '/').split('?')[0];
    // Relative URLs in the UI need the trailing slash when mounted under a path.
    if (!path.endsWith('/'))
      return res.redirect(301, path + '/' + (req.originalUrl.slice(path.length) || ''));
    this.send(res, 'index.html');
  }

  @Get(':name.js')
  script(@Param('name') name: string, @Res() res: Response) {
    this.send(res, `${name}.js`);
  }

  @Get(':name.css')
  style(@Param('name') name: string, @Res() res: Response) {
    this.send(res, `${name}.css`);
  }

  @Get('favicon.ico')
  favicon(@Res() res: Response) {
    res.status(204).end();
  }

  private send(res: Response, name: string) {
    if (this.options.ui === false || !this.files.has(name)) {
      res.status(404).json({ errors: [{ status: '404', code: 'not_found', title: 'Not found' }] });
      return;
    }
    res.setHeader('Content-Type', CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)]);
    res.setHeader(
      'Content-Security-Policy',
      "default-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    );
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('Cache-Control', 'no-cache');
    const { body, etag } = file(name);
    res.setHeader('ETag', etag);
    // Express answers 304 on a matching If-None-Match (req.fresh) for an ETag set by hand too.
    res.send(body);
  }
}
