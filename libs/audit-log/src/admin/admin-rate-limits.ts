import { principalAndOrg, RateLimitTable, resolveRateLimit } from '../http/rate-limit';
import type { AuditAdminModuleOptions } from './audit-admin-options.interface';

/**
 * The admin plugin's limits (GET and POST events), checked and with defaults filled in: the one
 * place its `rateLimit` option is read. A bad value fails the start, naming the option.
 */
export function resolveAdminRateLimits(options: AuditAdminModuleOptions): RateLimitTable {
  const o = options.rateLimit ?? {};
  const limits: RateLimitTable['limits'] = {};
  for (const route of ['reads', 'ingest'] as const) {
    const limit = resolveRateLimit(
      o[route],
      route,
      (problem) => new Error(`AuditAdminModule: options.rateLimit.${route} ${problem}`),
    );
    if (limit) limits[route] = { ...limit, key: principalAndOrg };
  }
  return { limits, storage: o.storage };
}
