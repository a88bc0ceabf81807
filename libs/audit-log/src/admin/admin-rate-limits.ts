import {
  DEFAULT_RATE_LIMITS,
  DEFAULT_TOKEN_RATE_LIMITS,
  principalAndOrg,
  RateLimitTable,
  resolveRateLimit,
} from '../http/rate-limit';
import type { AuditAdminModuleOptions } from './audit-admin-options.interface';

/**
 * The admin plugin's limits, checked and with defaults filled in: the one place its `rateLimit`
 * option is read. A bad value fails the start, naming the option.
 *
 * Per principal and org: `reads` on both read routes (GET events and GET events-stream, each
 * counted on its own), `ingest` on POST events. Per bearer token, on top: `perToken.events` and
 * `perToken.stream`, like Atlassian's per-API-key limits. The web UI signs in with a session
 * cookie, not a token, so a low per-token limit for API clients never slows the UI down.
 */
export function resolveAdminRateLimits(options: AuditAdminModuleOptions): RateLimitTable {
  const o = options.rateLimit ?? {};
  const fail = (name: string) => (problem: string) =>
    new Error(`AuditAdminModule: options.rateLimit.${name} ${problem}`);
  const limits: RateLimitTable['limits'] = {};
  for (const route of ['reads', 'ingest'] as const) {
    const limit = resolveRateLimit(o[route], route, fail(route));
    if (limit) limits[route] = { ...limit, key: principalAndOrg };
  }
  // The stream shares the `reads` setting: one per-user limit for reading, whichever route.
  const stream = resolveRateLimit(o.reads, 'stream', fail('reads'), DEFAULT_RATE_LIMITS.reads);
  if (stream) limits.stream = { ...stream, key: principalAndOrg };

  const t = o.perToken ?? {};
  if (typeof t !== 'object' || t === null) {
    throw fail('perToken')('must be an object with events and stream limits');
  }
  const perToken: RateLimitTable['perToken'] = {};
  const events = resolveRateLimit(
    t.events,
    'reads',
    fail('perToken.events'),
    DEFAULT_TOKEN_RATE_LIMITS.reads,
  );
  if (events) perToken.reads = events;
  const poll = resolveRateLimit(
    t.stream,
    'stream',
    fail('perToken.stream'),
    DEFAULT_TOKEN_RATE_LIMITS.stream,
  );
  if (poll) perToken.stream = poll;
  return { limits, perToken, storage: o.storage };
}
