import { SetMetadata } from '@nestjs/common';
import type { RateLimitedRoute } from './rate-limit';

export const RATE_LIMIT = 'auditkit:rate-limit';

/**
 * Counts the route against one of its module's rate limits (see the `rateLimit` options);
 * `RateLimitGuard` enforces it.
 */
export const RateLimit = (route: RateLimitedRoute) => SetMetadata(RATE_LIMIT, route);
