/**
 * An event could not be stored (database down, buffer full, writer closed). Over HTTP the
 * interceptor turns it into 503 under the fail-closed policy.
 */
export class AuditWriteError extends Error {
  /** Under fail-open: the event is kept in the buffer and will be retried; nothing is lost yet. */
  readonly buffered: boolean;

  constructor(message: string, options: { cause?: unknown; buffered?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AuditWriteError';
    this.buffered = options.buffered ?? false;
  }
}

/** Whether `err` says the event is kept in the fail-open buffer (and will be retried). */
export function isBuffered(err: unknown): boolean {
  return err instanceof AuditWriteError && err.buffered;
}
