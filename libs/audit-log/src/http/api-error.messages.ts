import type { AuditDependency } from '../exceptions/dependency-unavailable.exception';

const LABELS: Record<AuditDependency, string> = { database: 'Database', redis: 'Redis' };

/** Logged once when requests start failing because `dependency` cannot be reached. */
export const outageStartedMessage = (dependency: AuditDependency, detail: string): string =>
  `${LABELS[dependency]} unreachable (${detail}); answering 503 until it is back`;

/** Logged once when `dependency` answers again. */
export const outageEndedMessage = (
  dependency: AuditDependency,
  seconds: number,
  refused: number,
): string =>
  `${LABELS[dependency]} reachable again after ${seconds} s; ${refused} request(s) answered 503`;

/** What a client is told during an outage; which dependency is down stays in the log. */
export const serviceUnavailableDetail = (retryAfterSeconds: number): string =>
  `The audit log is unavailable for a moment. Retry in ${retryAfterSeconds} seconds.`;

/** What a client over a rate limit is told. */
export const rateLimitedDetail = (limit: number, windowMs: number, retryAfterSeconds: number) =>
  `At most ${limit} of these requests are allowed in ${describeWindow(windowMs)}. ` +
  `Retry in ${retryAfterSeconds} seconds.`;

function describeWindow(ms: number): string {
  for (const [unit, size] of [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) {
      const n = ms / size;
      return n === 1 ? `1 ${unit}` : `${n} ${unit}s`;
    }
  }
  return `${ms} ms`;
}
