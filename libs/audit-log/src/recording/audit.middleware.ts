import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Logger } from '@nestjs/common';
import { isBuffered } from '../exceptions/audit-write.exception';
import { AuditOptions } from './audit.decorator';
import { AuditService } from './audit.service';

/** `auditMiddleware()` options: those of `@Audit()`. */
export type AuditMiddlewareOptions = AuditOptions;

/**
 * Express middleware that records `action` for every request through it, like `@Audit()` does
 * for Nest handlers. The activity is committed before the response is sent: the middleware holds
 * `res.end` until the event is stored. A status of 400 or more records outcome `failure`. The
 * handler's JSON body (`res.json(...)`) is the `result` the option functions see.
 *
 * @example
 * const audit = await createAuditLog({ databaseUrl: 'sqlite:./audit.db' });
 * app.post('/groups', express.json(), auditMiddleware(audit.service, 'group_created', {
 *   targets: ({ result }) => ({ id: result.id, type: 'group', name: result.name }),
 * }), createGroup);
 */
export function auditMiddleware(
  audit: AuditService,
  action: string,
  options: AuditMiddlewareOptions = {},
): RequestHandler {
  const logger = new Logger('AuditLog');
  const spec = { action, options };
  return (req: Request, res: Response, next: NextFunction) => {
    // Express resets req.params when an error leaves the route, before its error handler ends
    // the response; keep the route's own (orgId, ids) for the event.
    const params = req.params;
    let result: unknown;
    const json = res.json.bind(res);
    res.json = (body?: unknown) => {
      result = body;
      return json(body);
    };
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    let held = false;
    res.end = ((...args: unknown[]) => {
      if (held) return end(...args);
      held = true;
      const failed = res.statusCode >= 400;
      if (failed && options.recordFailures === false) return end(...args);
      const outcome = failed ? { error: { status: res.statusCode } } : { result };
      req.params = params;
      Promise.resolve()
        .then(() => audit.recordRequest(spec, req, outcome))
        .then(
          () => end(...args),
          (err: Error) => {
            const buffered = audit.failurePolicy === 'fail-open' && isBuffered(err);
            if (failed || buffered || res.headersSent) {
              logger.error(`Activity ${action} could not be recorded: ${err.message}`);
              return end(...args);
            }
            logger.error(`Activity ${action} could not be recorded; answering 503: ${err.message}`);
            res.statusCode = 503;
            res.setHeader('content-type', 'application/json; charset=utf-8');
            res.removeHeader('content-length');
            return end(
              JSON.stringify({
                statusCode: 503,
                message: 'The activity could not be recorded in the audit log. Try again.',
              }),
            );
          },
        );
      return res;
    }) as Response['end'];
    next();
  };
}
