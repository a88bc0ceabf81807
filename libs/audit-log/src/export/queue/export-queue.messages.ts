/** The export queue lost Redis; logged once per outage. */
export const queueRedisDownMessage = (detail: string): string =>
  `Export queue: Redis unreachable (${detail}); jobs wait until it is back`;

/** The export queue has Redis again after an outage. */
export const queueRedisBackMessage = (): string => 'Export queue: connected to Redis again';

/** A call to Redis took longer than the queue's `commandTimeoutMs`. */
export const redisTimeoutMessage = (what: string, ms: number): string =>
  `no answer to ${what} within ${ms} ms`;

/** `queue.useHostConnection` is set but the host registered no such `BullModule.forRoot()`. */
export const hostBullConfigMissingMessage = (configKey: string | true): string =>
  `AuditExportModule: options.queue.useHostConnection needs BullModule.forRoot(${
    configKey === true ? '' : `'${configKey}', `
  }{ redis: ... }) from @nestjs/bull in the host app`;
