import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { ResolvedAuditLogOptions } from '../audit-log-options.interface';
import { AUDIT_RESOLVED_OPTIONS } from '../audit-log.internal-constants';
import { ActionCatalog } from '../catalog/action-catalog';
import { ulid } from '../common/ulid';
import { AuditEvent, AuditEventInput } from '../event/audit-event.interface';
import { normalizeEvent } from '../event/event-normalizer';
import { DEFAULT_REDACT_KEYS, secretKeyMatcher } from '../event/redact';
import { locator } from '../location/location-resolver';
import { IntegrityService } from '../integrity/integrity.service';
import { PreparedEvent } from '../store/event-row';
import { EventStore } from '../store/event-store';
import { AuditWriter, EnqueueOptions } from './audit-writer';
import type { Request } from 'express';
import { AuditSpec } from './audit.decorator';
import { eventFromRequest } from './request-event';

/** Options of one `record()` call. */
export interface RecordOptions {
  /**
   * Write inside this EntityManager's open transaction (`dataSource.transaction(m => ...)`)
   * instead of through the group-commit writer: a rollback leaves no event, a commit exactly
   * one. It must be a manager of the same DataSource the module stores events in.
   */
  manager?: EntityManager;
}

/** Records activities from code outside HTTP handlers, and backs the decorator and middleware. */
@Injectable()
export class AuditService implements BeforeApplicationShutdown {
  private readonly isSecret: (key: string) => boolean;
  private readonly locate: ReturnType<typeof locator>;

  constructor(
    @Inject(AUDIT_RESOLVED_OPTIONS) private readonly options: ResolvedAuditLogOptions,
    /** The actions and categories known to this module. */
    readonly catalog: ActionCatalog,
    private readonly store: EventStore,
    private readonly writer: AuditWriter,
    private readonly integrity: IntegrityService,
  ) {
    this.isSecret = secretKeyMatcher([...DEFAULT_REDACT_KEYS, ...options.redactKeys]);
    this.locate = locator(options.location.resolve);
  }

  /**
   * Validates, redacts and stores one activity; resolves with the stored event (id, seq) once
   * the transaction holding it has committed. Rejects with `AuditValidationError` naming the bad
   * field, or `AuditWriteError` when it could not be stored (under fail-open with
   * `buffered: true`: kept and retried).
   */
  async record(input: AuditEventInput, options: RecordOptions = {}): Promise<AuditEvent> {
    return this.recordPrepared(this.prepare(input), options);
  }

  /**
   * Records the activity of one HTTP request described by `spec` (what `@Audit()` and
   * `auditMiddleware()` use).
   */
  recordRequest(
    spec: AuditSpec,
    req: Request,
    outcome: { result?: unknown; error?: unknown },
  ): Promise<AuditEvent> {
    return this.record(eventFromRequest(spec, req, this.options, outcome));
  }

  /**
   * Stores an event made by `prepare()` (its id is known before it is written). With
   * `mayBeStored`, an earlier attempt at this same event (same id) may have stored it already, in
   * this process or another: it is then not stored twice, and the stored event is returned.
   */
  recordPrepared(
    event: PreparedEvent,
    options: RecordOptions & EnqueueOptions = {},
  ): Promise<AuditEvent> {
    if (options.manager) return this.store.writeWith(options.manager, [event]).then((r) => r[0]);
    return this.writer.enqueue(event, { mayBeStored: options.mayBeStored }).then((stored) => {
      // Counts towards the org's next checkpoint (every N events), taken off this path.
      this.integrity.noteCommitted([stored]);
      return stored;
    });
  }

  /**
   * Stores events made by `prepare()` in one transaction of their own, all of them or none, and
   * resolves with them as stored, in order, once it has committed. They do not wait in the
   * group-commit queue, and a failure is never buffered whatever the failure policy: it rejects
   * with `AuditWriteError` and nothing is stored (a caller that is told so retries). With
   * `mayBeStored`, as for `recordPrepared`: events an earlier attempt stored are returned as
   * stored (`wasFoundStored`), not written again.
   */
  recordAll(events: PreparedEvent[], options: EnqueueOptions = {}): Promise<AuditEvent[]> {
    return this.writer.writeAll(events, options).then((stored) => {
      this.integrity.noteCommitted(stored);
      return stored;
    });
  }

  /** Validates an event without storing it; throws `AuditValidationError`. */
  prepare(input: AuditEventInput): PreparedEvent {
    const now = this.options.clock.now().getTime();
    const normalized = normalizeEvent(input, this.catalog, this.isSecret, now, this.locate);
    return { ...normalized, id: ulid(now), recordedAt: now };
  }

  /** Resolves when every event accepted so far is written. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** The failure policy in force. */
  get failurePolicy(): ResolvedAuditLogOptions['failurePolicy'] {
    return this.options.failurePolicy;
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.close();
  }
}
