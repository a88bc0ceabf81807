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
