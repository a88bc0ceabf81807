import type { ThrottlerStorage } from '@nestjs/throttler';
import type { AuditRateLimit } from '../http/rate-limit';
import type { AuditClock } from '../common/clock';
import type { ExportStorage } from './storage/export-storage.interface';

/** Tuning of the export job queue (Bull on Redis, or the in-process dev queue). */
export interface AuditExportQueueOptions {
  /**
   * Bull queue name, registered with `@nestjs/bull`: `getQueueToken(name)` resolves the queue in
   * the app. Give each app (or test) its own to keep them apart. With `forRootAsync()`, the name
   * is set there (`bullQueue`), since the queue is registered before the factory runs.
   * @default 'auditkit-exports'
   */
  name?: string;
  /** Bull key prefix in Redis. @default 'bull' (with `useHostConnection`: the host's prefix) */
  prefix?: string;
  /**
   * Put the queue on the connection the host app registered with `@nestjs/bull`'s
   * `BullModule.forRoot()` (its Redis, prefix and settings) instead of `redisUrl`: `true` for the
   * default configuration, a string for the one registered as `BullModule.forRoot(configKey, ...)`.
   * The export module's own settings (lock, stalled check) still apply to its queue.
   * @default false (the queue connects to `redisUrl`)
   */
  useHostConnection?: boolean | string;
  /** Tries per export before it is marked `failed` (a killed worker's try counts). @default 3 */
  attempts?: number;
  /** First retry delay; doubles on each retry (exponential backoff). @default 5000 */
  backoffMs?: number;
  /** How long a worker's lock on a job lasts without renewal (Bull `lockDuration`). @default 30000 */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died (Bull `stalledInterval`). @default 30000 */
  stalledIntervalMs?: number;
  /** How often a job may stall (its worker die) before Bull gives it up. @default 1 */
  maxStalledCount?: number;
  /**
   * How often a worker looks for exports whose job was lost (Redis restarted without
   * persistence, a mail left unsent) and queues them again; 0 turns it off.
   * @default 60000
   */
  recoveryIntervalMs?: number;
  /** How old an unfinished export must be before recovery queues it again. @default 60000 */
  recoveryGraceMs?: number;
  /**
   * After this long, a mail claimed by a worker that never confirmed sending it is presumed
   * lost (the worker died) and sent again. Longer than nodemailer's own socket timeout.
   * @default 900000 (15 minutes)
   */
  mailClaimTimeoutMs?: number;
  /**
   * Longest wait for Redis when a request queues an export (and for the readiness check) before
   * it is answered 503 instead of hanging; while Redis is known to be down they fail at once.
   * @default 3000
   */
  commandTimeoutMs?: number;
}

/** Rate limits of `AuditExportModule` (see `AuditExportModuleOptions.rateLimit`). */
export interface AuditExportRateLimitOptions {
  /**
   * POST exports, per requesting admin (`sub`) and org. A refused export is not stored and
   * sends no mail.
   * @default { limit: 10, windowMs: 900000 } (10 in 15 minutes)
   */
  exports?: AuditRateLimit | false;
  /**
   * Downloads through one e-mailed link (one export of one admin and org); requests with a link
   * that is not valid are counted per client IP.
   * @default { limit: 30, windowMs: 900000 } (30 in 15 minutes)
   */
  downloads?: AuditRateLimit | false;
  /**
   * Where the counts are kept, e.g. a Redis-backed `ThrottlerStorage` shared by every instance.
   * @default in the memory of each process
   */
  storage?: ThrottlerStorage;
}

/** Options of `AuditExportModule.forRoot()` / `forRootAsync()`. */
export interface AuditExportModuleOptions {
  /**
   * Redis for the Bull export queue, `redis://[user:pass@]host:port[/db]`. When unset (and
   * `queue.useHostConnection` is not set), export jobs run in the process that queued them
   * (development only; logged as a warning).
   * @default undefined (in-process)
   */
  redisUrl?: string;
  /**
   * Process export jobs in this process. API-only processes set `false` and only queue jobs for
   * worker processes (needs `redisUrl` or `queue.useHostConnection`).
   * @default true
   */
  worker?: boolean;
  /** Exports one worker process runs at the same time. @default 2 */
  concurrency?: number;
  /** Directory finished CSV files are kept in until their link expires. @default './data/exports' */
  storageDir?: string;
  /**
   * Where finished files are kept, replacing the local `storageDir` (e.g. a bucket).
   * @default a LocalExportStorage on `storageDir`
   */
  storage?: ExportStorage;
  /** Directory mails are written to as `.eml` files when `smtpUrl` is unset. @default './data/outbox' */
  outboxDir?: string;
  /**
   * `smtp://user:pass@host:port` (or `smtps://`) to send mails through. When unset, mails go to
   * `outboxDir` and their links are logged.
   * @default undefined (outbox)
   */
  smtpUrl?: string;
  /** Sender of export mails. @default 'AuditKit <no-reply@localhost>' */
  mailFrom?: string;
  /**
   * Base URL of the admin API as users reach it, including any mount path
   * (`https://audit.example.com` or `https://app.example.com/audit`). Required.
   */
  publicUrl: string;
  /** Hours a download link works, counted from the moment the file is ready. @default 24 */
  linkTtlHours?: number;
  /** Most rows in one export; the newest are kept and the export is marked truncated. @default 10000 */
  maxRows?: number;
  /**
   * Secret the download links are signed with (HMAC-SHA256); at least 32 random characters,
   * the same on every process. Required.
   */
  linkSecret: string;
  /** Time source of link expiry and export timestamps (tests set one). @default the system clock */
  clock?: AuditClock;
  /**
   * Run the hourly cleanup (delete expired files, mark exports `expired`) in this process.
   * `AuditExportService.cleanup()` runs it on demand either way.
   * @default true
   */
  cleanup?: boolean;
  /** Queue tuning. @default see each field */
  queue?: AuditExportQueueOptions;
  /**
   * Rate limits of the export routes, in each process (N processes allow N times as much unless
   * `storage` is shared). Over a limit: 429 with `Retry-After`. `false` turns one off.
   * @default see each field
   */
  rateLimit?: AuditExportRateLimitOptions;
}

/** Options with every default filled in, as the services see them. */
export interface ResolvedAuditExportOptions extends Required<
  Omit<AuditExportModuleOptions, 'redisUrl' | 'smtpUrl' | 'storage' | 'queue' | 'rateLimit'>
> {
  redisUrl?: string;
  smtpUrl?: string;
  storage?: ExportStorage;
  /** `prefix` is unset when the host's `BullModule.forRoot()` configuration decides it. */
  queue: Required<Omit<AuditExportQueueOptions, 'prefix'>> & { prefix?: string };
  rateLimit: {
    exports: AuditRateLimit | false;
    downloads: AuditRateLimit | false;
    storage?: ThrottlerStorage;
  };
}
