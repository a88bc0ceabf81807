import { SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { AUDIT_METADATA } from '../audit-log.constants';
import type { AuditActor, AuditSite, AuditTarget } from '../event/audit-event.interface';

/** What the option functions of `@Audit()` and `auditMiddleware()` receive. */
export interface AuditContext<TResult = any> {
  request: Request;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: any;
  /** The handler's return value (undefined when it threw). */
  result?: TResult;
  /** What the handler threw, when it did. */
  error?: unknown;
}

/** How one handler's activity is described. Every function is optional. */
export interface AuditOptions<TResult = any> {
  /** What the activity acted on. */
  targets?: (ctx: AuditContext<TResult>) => AuditTarget | AuditTarget[] | null | undefined;
  /** The site it happened in. @default `resolveSite` of the module */
  site?: (ctx: AuditContext<TResult>) => AuditSite | null | undefined;
  /** The product it concerned. @default `resolveProduct` of the module */
  product?: (ctx: AuditContext<TResult>) => string | null | undefined;
  /** Extra details; secrets are redacted. */
  metadata?: (ctx: AuditContext<TResult>) => Record<string, unknown> | null | undefined;
  /** The organization. @default `resolveOrgId` of the module */
  orgId?: (ctx: AuditContext<TResult>) => string | null | undefined;
  /** The actor. @default `resolveActor` of the module */
  actor?: (ctx: AuditContext<TResult>) => AuditActor | null | undefined;
  /** Record calls that throw, with outcome `failure`. @default true */
  recordFailures?: boolean;
}

/** What `@Audit()` stores as metadata. */
export interface AuditSpec {
  action: string;
  options: AuditOptions;
}

/**
 * Records an activity for every call of the decorated handler (or of every handler of the
 * decorated controller), committed before the response is sent. Only sets metadata; the
 * module's interceptor does the recording.
 *
 * @example
 * @Audit('user_added_to_group', {
 *   targets: ({ params, result }) => [{ id: params.userId, type: 'user', name: result.user.name },
 *                                     { id: params.groupId, type: 'group', name: result.group.name }],
 * })
 */
export const Audit = <TResult = any>(action: string, options: AuditOptions<TResult> = {}) =>
  SetMetadata<string, AuditSpec>(AUDIT_METADATA, { action, options });
