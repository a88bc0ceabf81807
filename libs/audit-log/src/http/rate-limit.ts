import type { ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
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

/** The rate-limited routes: GET events, POST events, POST exports and the download link. */
export type RateLimitedRoute = 'reads' | 'ingest' | 'exports' | 'downloads';

/** A limit in force and how its requests are counted together. */
export interface ResolvedRateLimit extends AuditRateLimit {
  /** Requests with the same key share one count. */
  key(req: Request): string;
}

/** What a module's RateLimitGuard enforces (routes left out are not limited). */
export interface RateLimitTable {
  limits: Partial<Record<RateLimitedRoute, ResolvedRateLimit>>;
  /** Where counts are kept; the guard's own in-memory store when unset. */
  storage?: ThrottlerStorage;
}

/** The limits that apply when a module's options name none. */
export const DEFAULT_RATE_LIMITS: Readonly<Record<RateLimitedRoute, AuditRateLimit>> = {
  reads: { limit: 600, windowMs: 60_000 },
  ingest: { limit: 3000, windowMs: 60_000 },
  exports: { limit: 10, windowMs: 15 * 60_000 },
  downloads: { limit: 30, windowMs: 15 * 60_000 },
};

/** Counts per principal and org of the path (after the admin guard put the principal there). */
export function principalAndOrg(req: Request): string {
  return JSON.stringify(['principal', principalOf(req)?.sub ?? '', req.params?.orgId ?? '']);
}

/**
 * Checks one limit of a module's options and fills in its default. `invalid(problem)` makes the
 * module's own error (naming the option) for a bad value.
 */
export function resolveRateLimit(
  value: AuditRateLimit | false | undefined,
  route: RateLimitedRoute,
  invalid: (problem: string) => Error,
): AuditRateLimit | false {
  if (value === false) return false;
  if (value === undefined) return { ...DEFAULT_RATE_LIMITS[route] };
  const ok = (n: unknown) => typeof n === 'number' && Number.isSafeInteger(n) && n >= 1;
  if (typeof value !== 'object' || value === null || !ok(value.limit) || !ok(value.windowMs)) {
    throw invalid(
      'must be false or { limit, windowMs } with whole numbers of at least 1 (requests, milliseconds)',
    );
  }
  return { limit: value.limit, windowMs: value.windowMs };
}
