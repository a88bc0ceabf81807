import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { json, NextFunction, Request, RequestHandler, Response } from 'express';
import { AuditAdminModuleOptions } from './audit-admin-options.interface';
import { AUDIT_ADMIN_MODULE_OPTIONS } from './audit-admin.module-definition';
import { apiError } from './api-error';

/**
 * Parses JSON bodies of the admin API with its own limit (64 KiB by default): a larger body is a
 * 413 before anything reads it. A body the host already parsed is checked by its length.
 */
@Injectable()
export class BodyLimitMiddleware implements NestMiddleware {
  private readonly limit: number;
  private readonly parser: RequestHandler;

  constructor(@Inject(AUDIT_ADMIN_MODULE_OPTIONS) options: AuditAdminModuleOptions) {
    this.limit = options.maxBodyBytes ?? 64 * 1024;
    this.parser = json({ limit: this.limit, strict: true });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > this.limit)
      return next(apiError(413, `The body is larger than ${this.limit} bytes`));
    this.parser(req, res, next);
  }
}
