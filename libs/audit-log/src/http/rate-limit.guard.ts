import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Request } from 'express';
import { ApiException } from './api-error';
import { rateLimitedDetail } from './api-error.messages';
import {
  tokenOf,
  type AuditRateLimit,
  type RateLimitedRoute,
  type RateLimitTable,
  type ResolvedRateLimit,
} from './rate-limit';
import { RATE_LIMIT } from './rate-limit.decorator';
import { AUDIT_RATE_LIMITS } from './rate-limit.internal-constants';
import { SlidingWindowStorage } from './sliding-window-storage';

/**
 * `@nestjs/throttler`'s guard on the routes marked `@RateLimit(route)`, with the limits of the
 * module the route belongs to: a sliding window per principal and org (per link for downloads),
 * and for the routes with a `perToken` limit a second window per bearer token (its own named
 * throttler, so the two counts never mix), answered over either limit with 429, `Retry-After`
 * and the JSON error envelope. Runs after the
 * auth guard, which puts the principal on the request. Its counts are its own: a host's
 * ThrottlerModule neither sees nor changes them.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  // Both injected by token: the parent's own @Inject()s would otherwise be inherited.
  constructor(
    @Inject(AUDIT_RATE_LIMITS) table: RateLimitTable,
    @Inject(Reflector) reflector: Reflector,
  ) {
    const routeOf = (context: ExecutionContext) =>
      reflector.getAllAndOverride<RateLimitedRoute | undefined>(RATE_LIMIT, [
        context.getHandler(),
        context.getClass(),
      ]);
    const limitOf = (context: ExecutionContext): ResolvedRateLimit | undefined => {
      const route = routeOf(context);
      return route ? table.limits[route] : undefined;
    };
    const tokenLimitOf = (context: ExecutionContext): AuditRateLimit | undefined => {
      const route = routeOf(context);
      return route ? table.perToken?.[route] : undefined;
    };
    const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<Request>();
    // Without a host's storage, counts stay in memory at a constant cost per request.
    const own = table.storage ? undefined : new SlidingWindowStorage();
    super(
      {
        throttlers: [
          {
            limit: (context) => limitOf(context)!.limit,
            ttl: (context) => limitOf(context)!.windowMs,
            // A sliding window: a request is allowed again as soon as the oldest one counted
            // leaves the window, not a whole window after the limit was hit.
            blockDuration: 0,
            skipIf: (context) => !limitOf(context),
            getTracker: (req, context) => limitOf(context)!.key(req as Request),
          },
          {
            name: 'token',
            limit: (context) => tokenLimitOf(context)!.limit,
            ttl: (context) => tokenLimitOf(context)!.windowMs,
            blockDuration: 0,
            skipIf: (context) => !tokenLimitOf(context) || !tokenOf(requestOf(context)),
            getTracker: (req) => tokenOf(req as Request)!,
          },
        ],
      },
      table.storage ?? own!,
      reflector,
    );
  }

  protected override async throwThrottlingException(
    _context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const seconds = Math.max(1, detail.timeToBlockExpire);
    throw new ApiException(
      429,
      [
        {
          status: '429',
          code: 'too_many_requests',
          title: 'Too many requests',
          detail: rateLimitedDetail(detail.limit, detail.ttl, seconds),
        },
      ],
      { 'Retry-After': String(seconds) },
    );
  }
}
