/** A dependency the library needs for a request that cannot be reached right now. */
export type AuditDependency = 'database' | 'redis';

/**
 * A dependency (the database, or Redis for the export queue) did not answer. Over HTTP the
 * admin API answers 503 with `Retry-After`, and logs one line per outage.
 */
export class DependencyUnavailableError extends Error {
  constructor(
    readonly dependency: AuditDependency,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'DependencyUnavailableError';
  }
}
