import type { Request } from 'express';
import { HttpException } from '@nestjs/common';
import { ResolvedAuditLogOptions } from '../audit-log-options.interface';
import { missingActorMessage, missingOrgMessage } from '../audit-log.messages';
import { AuditEventInput, AuditTarget } from '../event/audit-event.interface';
import { AuditValidationError } from '../exceptions/audit-validation.exception';
import { AuditContext, AuditSpec } from './audit.decorator';

const MAX_USER_AGENT = 1024;

/** The client's address; honours Express's `trust proxy` setting through `req.ip`. */
export function clientIp(req: Request): string | undefined {
  const ip = req.ip ?? req.socket?.remoteAddress;
  if (!ip) return undefined;
  // IPv4 clients of a dual-stack socket show up as ::ffff:a.b.c.d.
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** The user agent, cut to the stored limit without splitting a character. */
export function userAgent(req: Request): string | undefined {
  const ua = req.headers?.['user-agent'];
  if (!ua) return undefined;
  return ua.length > MAX_USER_AGENT
    ? ua.slice(0, MAX_USER_AGENT).toWellFormed()
    : ua.toWellFormed();
}

function errorStatus(error: unknown): number {
  if (error instanceof HttpException) return error.getStatus();
  const status = (error as { status?: unknown })?.status;
  return typeof status === 'number' ? status : 500;
}

/**
 * The event a request produced, built from the handler's `@Audit()` options and the module's
 * resolvers. On the failure path the option functions may throw (no result to read); the event
 * is then recorded with what could be resolved.
 */
export function eventFromRequest(
  spec: AuditSpec,
  req: Request,
  options: ResolvedAuditLogOptions,
  outcome: { result?: unknown; error?: unknown },
): AuditEventInput {
  const failed = 'error' in outcome;
  const ctx: AuditContext = {
    request: req,
    params: (req.params ?? {}) as Record<string, string>,
    query: (req.query ?? {}) as Record<string, unknown>,
    body: req.body,
    result: outcome.result,
    error: outcome.error,
  };
  const call = <T>(fn: ((c: AuditContext) => T) | undefined): T | undefined => {
    if (!fn) return undefined;
    if (!failed) return fn(ctx);
    try {
      return fn(ctx);
    } catch {
      return undefined;
    }
  };
  const o = spec.options;
  const orgId = call(o.orgId) ?? options.resolveOrgId(req);
  if (!orgId) throw new AuditValidationError('orgId', missingOrgMessage(spec.action));
  const actor = call(o.actor) ?? options.resolveActor(req);
  if (!actor) throw new AuditValidationError('actor', missingActorMessage(spec.action));
  const targets = call(o.targets);
  const metadata = { ...(call(o.metadata) ?? {}) };
  if (failed) metadata.error = { status: errorStatus(outcome.error) };
  return {
    orgId,
    action: spec.action,
    actor,
    targets: targets ? ([] as AuditTarget[]).concat(targets) : [],
    site: call(o.site) ?? options.resolveSite?.(req) ?? null,
    product: call(o.product) ?? options.resolveProduct?.(req) ?? null,
    location: { ip: clientIp(req), userAgent: userAgent(req) },
    outcome: failed ? 'failure' : 'success',
    metadata,
  };
}
