import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { createHash } from 'node:crypto';
import { principalOf } from './principal';

/**
 * At most `limit` requests in any `windowMs` (a sliding window), counted per signed-in principal
 * (`sub`) and org of the path; `false` turns the limit off.
 */
export interface AuditRateLimit {
  /** Requests allowed in the window. */
  limit: number;
  /** Length of the window, in milliseconds. */
  windowMs: number;
}

/**
 * The rate-limited routes: GET events (`reads`), GET events-stream (`stream`), POST events,
 * POST exports and the download link.
 */
export type RateLimitedRoute = 'reads' | 'stream' | 'ingest' | 'exports' | 'downloads';

/** A limit in force and how its requests are counted together. */
export interface ResolvedRateLimit extends AuditRateLimit {
  /** Requests with the same key share one count. */
  key(req: Request): string;
}

/** What a module's RateLimitGuard enforces (routes left out are not limited). */
export interface RateLimitTable {
  limits: Partial<Record<RateLimitedRoute, ResolvedRateLimit>>;
  /**
   * Further limits counted per bearer token (`tokenOf`), on top of `limits`: what Atlassian
   * limits per API key. Requests without a bearer token (the web UI's session, a host's own
   * principal) are not counted here.
   */
  perToken?: Partial<Record<RateLimitedRoute, AuditRateLimit>>;
  /** Where counts are kept; the guard's own in-memory store when unset. */
  storage?: ThrottlerStorage;
}

/** The limits that apply when a module's options name none. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitedRoute, AuditRateLimit>> = {
  reads: { limit: 600, windowMs: 60_000 },
  stream: { limit: 600, windowMs: 60_000 },
  ingest: { limit: 3000, windowMs: 60_000 },
  exports: { limit: 10, windowMs: 15 * 60_000 },
  downloads: { limit: 30, windowMs: 15 * 60_000 },
};

/**
 * The per-token limits that apply when a module's options name none. GET events-stream: 100 a
 * minute, plenty for a poller (100 pages of up to 500 events) and a cap on a runaway loop.
 * GET events: none, since the v1 contract let a token page at the per-principal rate; Atlassian's
 * own limit there is 10 a minute per user (since May 2025), which a host can set.
 */
export const DEFAULT_TOKEN_RATE_LIMITS: Readonly<
  Record<'reads' | 'stream', AuditRateLimit | false>
> = {
  reads: false,
  stream: { limit: 100, windowMs: 60_000 },
};

/**
 * The key of the bearer token a request carries (a digest: the count must not keep the token
 * itself in memory or in a shared store), or undefined without one.
 */
export function tokenOf(req: Request): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(String(req.headers?.authorization ?? ''));
  if (!match) return undefined;
  return JSON.stringify(['token', createHash('sha256').update(match[1]).digest('base64url')]);
}

/** Counts per principal and org of the path (after the admin guard put the principal there). */
export function principalAndOrg(req: Request): string {
  return JSON.stringify(['principal', principalOf(req)?.sub ?? '', req.params?.orgId ?? '']);
}

/**
 * Checks one limit of a module's options and fills in its default (`fallback`, the route's
 * entry of `DEFAULT_RATE_LIMITS` unless told). `invalid(problem)` makes the module's own error
 * (naming the option) for a bad value.
 */
export function resolveRateLimit(
  value: AuditRateLimit | false | undefined,
  route: RateLimitedRoute,
  invalid: (problem: string) => Error,
  fallback: AuditRateLimit | false = DEFAULT_RATE_LIMITS[route],
): AuditRateLimit | false {
  if (value === false) return false;
  if (value === undefined) return fallback && { ...fallback };
  const ok = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
  if (typeof value !== 'object' || value === null || !ok(value.limit) || !ok(value.windowMs)) {
    throw invalid(
      'must be false or { limit, windowMs } with whole numbers of at least 1 (requests, milliseconds)',
    );
  }
  return { limit: value.limit, windowMs: value.windowMs };
}
