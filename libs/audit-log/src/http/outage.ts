import { Injectable, Logger, OnModuleDestroy, Optional } from '@nestjs/common';
import {
  AuditDependency,
  DependencyUnavailableError,
} from '../exceptions/dependency-unavailable.exception';
import { outageEndedMessage, outageStartedMessage } from './api-error.messages';
import { ReadinessService } from './readiness.service';

/**
 * `Retry-After` of every 503 the admin API answers, in seconds: a dependency is unreachable, or
 * an event could not be stored. One value, so a client is told one wait whichever path refused it.
 */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;
/** How often a dependency that is down is checked, to log the end of its outage. */
const PROBE_INTERVAL_MS = 1000;
/** Without a check to ask, an outage is over once no request failed for this long. */
const QUIET_END_MS = 30_000;

/** Which dependency an error says is unreachable, and the driver's own words for it. */
export interface OutageCause {
  dependency: AuditDependency;
  detail: string;
}

// Socket-level codes: the database server is down, restarting, unreachable or cut off. Only
// counted when the error comes from the database driver (see below): an SMTP or JWKS host that
// is down is not a database outage.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
// mysql2 / MariaDB codes of a lost or refused connection (not of a bad query).
const MYSQL_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'PROTOCOL_ENQUEUE_HANDSHAKE_TWICE',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_CONNECTION_KILLED',
  'ER_QUERY_INTERRUPTED',
  'ER_OUT_OF_RESOURCES',
  'CR_CONNECTION_ERROR',
  'CR_CONN_HOST_ERROR',
  'CR_SERVER_GONE_ERROR',
  'CR_SERVER_LOST',
]);
// better-sqlite3: the file is locked by another process, unreadable, or the disk failed.
const SQLITE_CODE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|PROTOCOL|NOLFS)/;
const DATABASE_MESSAGES = [
  /^Connection lost\b/i,
  /^Can't add new command when connection is in closed state/i,
  /^Pool is closed/i,
  /^Queue limit reached/i,
  /\bacquir\w* (a )?connection\b.*\btime(d)? ?out/i,
  /\btime(d)? ?out\b.*\bacquir\w* (a )?connection\b/i,
  /\bMySQL server has gone away\b/i,
];
const REDIS_MESSAGES = [
  /^Connection is closed\.?$/,
  /enableOfflineQueue options? is false/,
  /^Reached the max retries per request limit/,
  /^LOADING\b/,
];

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  fatal?: unknown;
  sqlState?: unknown;
  driverError?: unknown;
  cause?: unknown;
}

/**
 * Whether `err` says the database (mysql2 / better-sqlite3, raw or wrapped by TypeORM's
 * `QueryFailedError` or an `AuditWriteError`) or Redis (ioredis / Bull) cannot be reached, as
 * opposed to a bug or a bad query. Null when it says neither.
 */
export function classifyOutage(err: unknown): OutageCause | null {
  const seen = new Set<unknown>();
  let current: unknown = err;
  // Reached through a TypeORM driverError: whatever it is, it came from the database driver.
  let fromDriver = false;
  while (current && typeof current === 'object' && !seen.has(current) && seen.size < 8) {
    seen.add(current);
    if (current instanceof DependencyUnavailableError) {
      return { dependency: current.dependency, detail: current.message };
    }
    const e = current as ErrorLike;
    const code = typeof e.code === 'string' ? e.code : '';
    const message = typeof e.message === 'string' ? e.message : '';
    if (e.name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((r) => r.test(message))) {
      return { dependency: 'redis', detail: describe(code, message) };
    }
    const driver = fromDriver || e.fatal === true || typeof e.sqlState === 'string';
    if (
      MYSQL_CODES.has(code) ||
      SQLITE_CODE.test(code) ||
      (driver && NETWORK_CODES.has(code)) ||
      DATABASE_MESSAGES.some((r) => r.test(message))
    ) {
      return { dependency: 'database', detail: describe(code, message) };
    }
    if (e.driverError) {
      fromDriver = true;
      current = e.driverError;
    } else {
      current = e.cause;
    }
  }
  return null;
}

function describe(code: string, message: string): string {
  const text = code && !message.includes(code) ? `${code}: ${message}` : message || code;
  // One line, and never a password from a connection URL.
  return text
    .replace(/\/\/[^@\s/]*@/g, '//***@')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

interface Outage {
  since: number;
  lastFailure: number;
  refused: number;
  timer?: NodeJS.Timeout;
}

/**
 * Turns "every request failed because X is down" into two log lines: one when the first request
 * fails (naming X and the driver's message) and one when X answers again, with how long it took
 * and how many requests were refused meanwhile. Nothing per request in between. The end is found
 * by asking the `/readyz` check of X every second.
 */
@Injectable()
export class OutageMonitor implements OnModuleDestroy {
  private readonly logger = new Logger('AuditLog');
  private readonly outages = new Map<AuditDependency, Outage>();
  private closed = false;

  constructor(@Optional() private readonly readiness?: ReadinessService) {}

  /** A request failed because `cause.dependency` is unreachable. */
  report(cause: OutageCause): void {
    const now = Date.now();
    const current = this.outages.get(cause.dependency);
    if (current) {
      current.refused += 1;
      current.lastFailure = now;
      return;
    }
    this.outages.set(cause.dependency, { since: now, lastFailure: now, refused: 1 });
    this.logger.error(outageStartedMessage(cause.dependency, cause.detail));
    this.watch(cause.dependency);
  }

  /**
   * A request was answered 503 for a reason the filter could not trace to a dependency (e.g. an
   * event the writer could not store); counted against the outages under way, if any.
   */
  countRefused(): void {
    for (const outage of this.outages.values()) outage.refused += 1;
  }

  /** Whether an outage of `dependency` is under way. */
  isDown(dependency: AuditDependency): boolean {
    return this.outages.has(dependency);
  }

  onModuleDestroy(): void {
    this.closed = true;
    for (const outage of this.outages.values()) clearTimeout(outage.timer);
  }

  private watch(dependency: AuditDependency): void {
    const outage = this.outages.get(dependency);
    if (!outage || this.closed) return;
    outage.timer = setTimeout(() => {
      void this.isBack(dependency, outage).then((back) => {
        if (this.closed || this.outages.get(dependency) !== outage) return;
        if (!back) return this.watch(dependency);
        this.outages.delete(dependency);
        this.logger.log(
          outageEndedMessage(
            dependency,
            Math.max(1, Math.round((Date.now() - outage.since) / 1000)),
            outage.refused,
          ),
        );
      });
    }, PROBE_INTERVAL_MS);
    outage.timer.unref();
  }

  private async isBack(dependency: AuditDependency, outage: Outage): Promise<boolean> {
    if (!this.readiness?.has(dependency)) return Date.now() - outage.lastFailure >= QUIET_END_MS;
    try {
      await this.readiness.check(dependency);
      return true;
    } catch {
      return false;
    }
  }
}
