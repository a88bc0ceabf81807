/** The export queue lost Redis; logged once per outage. */
export const queueRedisDownMessage = (detail: string): string =>
  `Export queue: Redis unreachable (${detail}); jobs wait until it is back`;

/** The export queue has Redis again after an outage. */
export const queueRedisBackMessage = (): string => 'Export queue: connected to Redis again';

/** A call to Redis took longer than the queue's `commandTimeoutMs`. */
export const redisTimeoutMessage = (what: string, ms: number): string =>
  `no answer to ${what} within ${ms} ms`;
