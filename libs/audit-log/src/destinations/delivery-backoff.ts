import { ResolvedDestinationsOptions } from './destinations-options.interface';
import { DeliveryFailure, StoredDestination } from './destination-repository';
import { DeliveryError } from './transports/transport';

/**
 * What a failed delivery leaves: one more consecutive failure, the next attempt after an
 * exponential backoff with jitter (never before the receiver's Retry-After), and a pause once
 * failures have gone on too long, too often, or permanently (a 4xx: the same batch would fail
 * the same way). `random` is injectable for tests.
 */
export function nextFailure(
  d: Pick<StoredDestination, 'failures' | 'firstFailureAt'>,
  error: unknown,
  now: number,
  o: Pick<
    ResolvedDestinationsOptions,
    | 'backoffMinMs'
    | 'backoffMaxMs'
    | 'pauseAfterFailures'
    | 'pauseAfterMs'
    | 'pauseAfterPermanentFailures'
  >,
  random: () => number = Math.random,
): DeliveryFailure {
  const failures = d.failures + 1;
  const firstFailureAt = d.firstFailureAt ?? now;
  const permanent = error instanceof DeliveryError && error.permanent;
  const exp = Math.min(o.backoffMaxMs, o.backoffMinMs * 2 ** Math.min(failures - 1, 40));
  // Equal jitter: at least half the backoff, so instances that failed together spread out.
  let wait = exp / 2 + (random() * exp) / 2;
  if (error instanceof DeliveryError && error.retryAfterMs !== undefined)
    wait = Math.max(wait, error.retryAfterMs);
  const pause =
    failures >= o.pauseAfterFailures ||
    now - firstFailureAt >= o.pauseAfterMs ||
    (permanent && failures >= o.pauseAfterPermanentFailures);
  const message = error instanceof Error ? error.message : String(error);
  return {
    failures,
    firstFailureAt,
    nextAttemptAt: now + Math.round(wait),
    error: permanent ? `${message} (permanent)` : message,
    pause,
  };
}
