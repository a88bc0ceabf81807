import type { Request } from 'express';
import type { DataSource } from 'typeorm';
import type {
  AuditActionDefinition,
  AuditCategoryDefinition,
} from './catalog/audit-action.interface';
import type { AuditClock } from './common/clock';
import type { AuditActor, AuditSite } from './event/audit-event.interface';
import type {
  AuditIntegrityOptions,
  ResolvedIntegrityOptions,
} from './integrity/integrity-options.interface';
import type { AuditLocationOptions } from './location/location-resolver';
import type { AuditFailurePolicy } from './recording/audit-writer';

/** Options of `AuditLogModule.forRoot()` / `forRootAsync()`. */
export interface AuditLogModuleOptions {
  /**
   * The host's TypeORM DataSource to store events in (MySQL/MariaDB or better-sqlite3). Give
   * either this or `databaseUrl`.
   */
  dataSource?: DataSource;
  /**
   * A database the module opens and closes itself: `mysql://user:pass@host:3306/db` or
   * `sqlite:PATH`.
   */
  databaseUrl?: string;
  /**
   * Apply the library's migrations at start (tracked in `auditkit_migrations`).
   * @default true
   */
  migrationsRun?: boolean;
  /**
   * `fail-closed`: a request whose event cannot be stored fails with 503. `fail-open`: the event
   * waits in a bounded buffer, retried with backoff, and the request goes on.
   * @default 'fail-closed'
   */
  failurePolicy?: AuditFailurePolicy;
  /** Tuning of the group-commit writer. */
  writer?: {
    /** Most events in one transaction. @default 500 */
    maxBatchSize?: number;
    /** Most events waiting for the database before new ones are refused loudly. @default 10000 */
    maxBufferSize?: number;
    /**
     * Most batches being written at once. Two let the process build and answer one batch while
     * the database commits the other; the store keeps seqs gap-free either way. @default 2
     */
    concurrency?: number;
    /** First retry delay under fail-open. @default 200 */
    retryBaseMs?: number;
    /** Longest retry delay under fail-open. @default 30000 */
    retryMaxMs?: number;
    /** How long shutdown keeps retrying before it reports unwritten events. @default 10000 */
    shutdownTimeoutMs?: number;
  };
  /** Extra metadata key fragments to redact, added to the built-in list. @default [] */
  redactKeys?: string[];
  /** Host categories (activity types) besides the five built in. @default [] */
  categories?: AuditCategoryDefinition[];
  /** Host actions besides the built-in ones. @default [] */
  actions?: AuditActionDefinition[];
  /**
   * The actor of a request.
   * @default reads `req.user`: `{ id | sub, name, email, type }`
   */
  resolveActor?: (req: Request) => AuditActor | undefined;
  /**
   * The organization of a request.
   * @default `req.params.orgId`, then `req.user.orgId`
   */
  resolveOrgId?: (req: Request) => string | undefined;
  /** The site of a request, when handlers don't name one. @default none */
  resolveSite?: (req: Request) => AuditSite | undefined;
  /** The product of a request, when handlers don't name one. @default none */
  resolveProduct?: (req: Request) => string | undefined;
  /**
   * Register the `@Audit()` interceptor for every route of the app. With `false`, apply it with
   * `@UseInterceptors(AuditInterceptor)` where it is needed; `forRoot` then registers nothing
   * app-wide (a `forRootAsync` factory's `false` leaves a pass-through interceptor).
   * @default true
   */
  globalInterceptor?: boolean;
  /**
   * Chain each org's events with SHA-256 hashes so `auditkit verify` can prove none was changed.
   * @default true
   */
  tamperEvidence?: boolean;
  /**
   * Signed checkpoints of each org's chain, their witnesses and their schedule
   * (docs/integrity.md). @default no signing key: checkpoints are taken but not signed
   */
  integrity?: AuditIntegrityOptions;
  /**
   * Where events' IP addresses are: `resolve` finds the country, region and city of each
   * recorded event's IP (`dbIpLocationResolver()` from `@auditkit/nestjs/location`, or the
   * host's own). They are stored with the event, outside its hash (docs/events.md).
   * @default no resolver: events keep `ip` and `userAgent` only
   */
  location?: AuditLocationOptions;
  /** Time source (tests set one). @default the system clock */
  clock?: AuditClock;
}

/** Options with every default filled in, as the services see them. */
export interface ResolvedAuditLogOptions extends Required<
  Omit<
    AuditLogModuleOptions,
    | 'dataSource'
    | 'databaseUrl'
    | 'resolveSite'
    | 'resolveProduct'
    | 'writer'
    | 'integrity'
    | 'location'
  >
> {
  dataSource?: DataSource;
  databaseUrl?: string;
  resolveSite?: (req: Request) => AuditSite | undefined;
  resolveProduct?: (req: Request) => string | undefined;
  writer: Required<NonNullable<AuditLogModuleOptions['writer']>>;
  integrity: ResolvedIntegrityOptions;
  location: AuditLocationOptions;
}
