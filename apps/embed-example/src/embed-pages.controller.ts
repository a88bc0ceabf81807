import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EMBED_EXAMPLE_OPTIONS, EmbedExampleOptions } from './embed-example.options';

/** The pages: web/ beside src/ (compiled, this file sits in dist/apps/embed-example/src). */
export const WEB_DIR = [
  join(__dirname, '..', 'web'),
  join(__dirname, '..', '..', '..', '..', 'apps', 'embed-example', 'web'),
].find((dir) => existsSync(dir))!;

/** The host's own pages that embed the viewer: plain HTML at `/`, React at `/react/`. */
@Controller()
export class EmbedPagesController {
  constructor(@Inject(EMBED_EXAMPLE_OPTIONS) private readonly options: EmbedExampleOptions) {}

  @Get()
  plain(@Res() res: Response) {
    this.send(res, 'text/html', readFileSync(join(WEB_DIR, 'plain.html')));
  }

  @Get('react')
  react(@Req() req: Request, @Res() res: Response) {
    // The page's relative URLs need the trailing slash.
    if (!req.path.endsWith('/')) return res.redirect(301, '/react/');
    this.send(res, 'text/html', readFileSync(join(WEB_DIR, 'react', 'index.html')));
  }

  @Get('react/app.js')
  reactApp(@Res() res: Response) {
    this.send(res, 'text/javascript', readFileSync(this.options.reactBundle));
  }

  private send(res: Response, type: string, body: Buffer) {
    res.setHeader('Content-Type', `${type}; charset=utf-8`);
    res.setHeader('Cache-Control', 'no-cache');
    res.send(body);
  }
}
