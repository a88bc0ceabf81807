import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { describeFilters } from '../http/event-filters';
import { ReadinessService } from '../http/readiness.service';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { isValidEmailClaim, isValidNameClaim } from '../auth/claims';
import { ulid } from '../common/ulid';
import type { AuditLocation } from '../event/audit-event.interface';
import type { EventFilters } from '../query/event-filters';
import { AUDIT_METRICS_SINK, AuditMetricsSink } from '../metrics/audit-metrics-sink';
import { AuditService } from '../recording/audit.service';
import { InvalidRequesterClaimException } from './exceptions/invalid-requester-claim.exception';
import { ExportProcessor } from './export-processor';
import { ResolvedAuditExportOptions } from './export-options.interface';
import { effectiveStatus, exportManifestKey, ExportRecord, ExportStatus } from './export-record';
import { ExportRepository } from './export-repository';
import {
  AUDIT_EXPORT_QUEUE,
  AUDIT_EXPORT_RESOLVED_OPTIONS,
  AUDIT_EXPORT_STORAGE,
  EXPORT_CLEANUP_CRON,
  INCOMPLETE_FILE_MAX_AGE_MS,
} from './export.internal-constants';
import { enqueueFailedMessage, inProcessQueueMessage, queueErrorMessage } from './export.messages';
import type { ExportJobQueue } from './queue/export-job-queue.interface';
import type { ExportStorage } from './storage/export-storage.interface';

/** An export as the service reports it. */
export interface AuditExport {
  id: string;
  orgId: string;
  /** `expired` as soon as the link expires, even before cleanup ran. */
  status: ExportStatus;
  filters: EventFilters;
  /** The requesting admin's id (`sub`). */
  requestedBy: string;
  createdAt: Date;
  startedAt: Date | null;
  readyAt: Date | null;
  /** When the download link stops working. */
  expiresAt: Date | null;
  /** Data rows in the file, once ready. */
  rowCount: number | null;
  /** Whether more events matched than the file holds, once ready. */
  truncated: boolean | null;
  /** Processing attempts so far. */
  attempts: number;
  /** Whether the mail (ready or failed) was sent. */
  mailed: boolean;
}

/** What `AuditExportService.request()` needs. */
export interface AuditExportRequest {
  orgId: string;
  /** Filters as GET events takes them, parsed (see `toEventFilters`). */
  filters: EventFilters;
  /** The admin asking; the file is mailed to `email` (exactly one address; `name` one line). */
  requester: { id: string; name?: string; email: string };
  /** Where the request came from, recorded on the `audit_log_exported` event. */
  location?: AuditLocation;
}

/** What one cleanup run did. */
export interface ExportCleanupResult {
  /** Exports newly marked `expired`. */
  expired: number;
  /** Files of expired exports deleted (each with its manifest). */
  filesDeleted: number;
  /** Temporary files of interrupted writes removed. */
  incompleteRemoved: number;
}

const BATCH = 100;

function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/**
 * Exports of the audit log as CSV files mailed to the requesting admin: queues them, runs them
 * (in worker processes), recovers lost jobs, and cleans up expired files.
 */
@Injectable()
export class AuditExportService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditExport');
  private recoveryTimer?: NodeJS.Timeout;
  private readonly background = new Set<Promise<unknown>>();
  private cleaning = false;

  constructor(
    @Inject(AUDIT_EXPORT_RESOLVED_OPTIONS) private readonly options: ResolvedAuditExportOptions,
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(AUDIT_EXPORT_QUEUE) private readonly queue: ExportJobQueue,
    @Inject(AUDIT_EXPORT_STORAGE) private readonly storage: ExportStorage,
    private readonly repository: ExportRepository,
    private readonly processor: ExportProcessor,
    private readonly audit: AuditService,
    @Optional() private readonly readiness?: ReadinessService,
    @Optional() @Inject(AUDIT_METRICS_SINK) private readonly metrics?: AuditMetricsSink,
  ) {}

  /**
   * Records the request (`audit_log_exported`, in the same transaction as the export row, whose
   * `seq` pins what the export holds) and queues the job. Resolves with the queued export.
   * @throws InvalidRequesterClaimException (422 over HTTP) when `requester.email` is not exactly
   *   one address or `requester.name` is not one line; nothing is recorded, queued or mailed
   */
  async request(input: AuditExportRequest): Promise<AuditExport> {
    // The mail goes to this address and greets this name: a list or a line break would let a
    // token's claims add recipients or forge lines of the mail.
    if (!isValidEmailClaim(input.requester.email))
      throw new InvalidRequesterClaimException('email');
    if (input.requester.name !== undefined && !isValidNameClaim(input.requester.name)) {
      throw new InvalidRequesterClaimException('name');
    }
    const now = this.now();
    const id = ulid(now);
    const record: ExportRecord = {
      id,
      orgId: input.orgId,
      status: 'queued',
      spec: { filters: input.filters, maxRows: this.options.maxRows, snapshotSeq: 0 },
      requestedBy: input.requester.id,
      requesterName: input.requester.name ?? null,
      requesterEmail: input.requester.email,
      createdAt: now,
      startedAt: null,
      readyAt: null,
      expiresAt: null,
      rowCount: null,
      truncated: false,
      storageKey: null,
      mailedAt: null,
      attempts: 0,
      error: null,
    };
    await this.dataSource.transaction(async (manager) => {
      const event = await this.audit.record(
        {
          orgId: input.orgId,
          action: 'audit_log_exported',
          actor: {
            id: input.requester.id,
            type: 'user',
            name: input.requester.name,
            email: input.requester.email,
          },
          location: input.location,
          metadata: { exportId: id, filters: describeFilters(input.filters) },
        },
        { manager },
      );
      // Every event up to this one has committed: seq is assigned in commit order.
      record.spec.snapshotSeq = event.seq;
      await this.repository.insert(record, manager);
    });
    await this.enqueue(id);
    return this.toExport(record, now);
  }

  /** The org's `limit` newest exports, whatever their status. */
  async recent(orgId: string, limit: number): Promise<AuditExport[]> {
    const now = this.now();
    return (await this.repository.recentInOrg(orgId, limit)).map((r) => this.toExport(r, now));
  }

  /** The export `exportId` of `orgId`, or null (also for another org's id). */
  async get(orgId: string, exportId: string): Promise<AuditExport | null> {
    const record = await this.repository.findInOrg(orgId, exportId);
    return record ? this.toExport(record, this.now()) : null;
  }

  /**
   * Runs the export now in this process, as a worker would: safe to call for an export that is
   * also queued, running elsewhere, or finished (it then only makes sure the mail went out).
   */
  run(exportId: string): Promise<void> {
    return this.processor.run(exportId);
  }

  /**
   * Queues again the exports whose job was lost (Redis restarted without persistence, the
   * process holding an in-process job stopped) or whose mail is still owed. Workers run it every
   * `queue.recoveryIntervalMs`.
   * @returns the ids queued again
   */
  async reconcile(now: Date = this.options.clock.now()): Promise<string[]> {
    const records = await this.repository.needingWork(
      now.getTime() - this.options.queue.recoveryGraceMs,
      BATCH,
    );
    const queued: string[] = [];
    for (const record of records) {
      if (await this.queue.has(record.id)) continue;
      await this.queue.add(record.id);
      queued.push(record.id);
    }
    return queued;
  }

  /**
   * Marks exports whose link expired `expired` and deletes their files, and removes temporary
   * files of writes a dead worker left behind. The hourly cron runs it with the clock.
   */
  async cleanup(now: Date = this.options.clock.now()): Promise<ExportCleanupResult> {
    const result: ExportCleanupResult = { expired: 0, filesDeleted: 0, incompleteRemoved: 0 };
    const at = now.getTime();
    const seen = new Set<string>();
    for (;;) {
      const records = (await this.repository.dueForCleanup(at, BATCH)).filter(
        (r) => !seen.has(r.id),
      );
      if (!records.length) break;
      for (const record of records) {
        seen.add(record.id);
        // Expired in the database first: from then on the link answers 410, and a crash before
        // the delete leaves a row that the next run finds by its storage key.
        if (record.status === 'ready' && (await this.repository.markExpired(record.id, at))) {
          result.expired += 1;
        }
        if (record.storageKey) {
          // The manifest first: the storage key stays set until both are gone, so a crash in
          // between leaves a row the next run finds again.
          await this.storage.delete(exportManifestKey(record.id));
          await this.storage.delete(record.storageKey);
          if (await this.repository.clearStorageKey(record.id)) result.filesDeleted += 1;
        }
      }
    }
    if (this.storage.removeIncomplete) {
      result.incompleteRemoved = await this.storage.removeIncomplete(
        new Date(at - INCOMPLETE_FILE_MAX_AGE_MS),
      );
    }
    return result;
  }

  /** The hourly cleanup (when `cleanup` is on). */
  @Cron(CronExpression.EVERY_HOUR, { name: EXPORT_CLEANUP_CRON })
  async scheduledCleanup(): Promise<void> {
    // Two ScheduleModules in one app fire the same cron twice; one run at a time is enough.
    if (!this.options.cleanup || this.cleaning) return;
    this.cleaning = true;
    try {
      const r = await this.cleanup();
      if (r.expired || r.filesDeleted || r.incompleteRemoved) {
        this.logger.log(
          `Export cleanup: ${r.expired} expired, ${r.filesDeleted} file(s) deleted, ${r.incompleteRemoved} leftover(s) removed`,
        );
      }
    } catch (err) {
      this.logger.error(`Export cleanup failed: ${(err as Error).message}`);
    } finally {
      this.cleaning = false;
    }
  }

  onApplicationBootstrap(): void {
    this.metrics?.watchExports(() => this.repository.countByStatus());
    if (this.queue.kind === 'in-process') this.logger.warn(inProcessQueueMessage());
    if (this.queue.kind === 'bull') this.registerReadiness();
    if (!this.options.worker) return;
    this.queue.work(this.options.concurrency, (exportId) => this.processor.run(exportId));
    const interval = this.options.queue.recoveryIntervalMs;
    if (interval > 0) {
      this.recoverInBackground();
      this.recoveryTimer = setInterval(() => this.recoverInBackground(), interval);
      this.recoveryTimer.unref();
    }
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.recoveryTimer);
    await Promise.allSettled([...this.background]);
    // Before the database closes: running jobs finish their step and release their locks.
    await this.queue.close();
  }

  private recoverInBackground(): void {
    const run = this.reconcile()
      .catch((err: unknown) => this.logger.warn(queueErrorMessage(err)))
      .finally(() => this.background.delete(run));
    this.background.add(run);
  }

  private registerReadiness(): void {
    // A worker-only process has no admin plugin, hence no /readyz.
    this.readiness?.add('redis', () => this.queue.ping());
  }

  private async enqueue(id: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      // The row is the source of truth: if Redis is down, recovery queues the export later.
      await Promise.race([
        this.queue.add(id),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('the queue did not answer within 5 s')), 5000);
        }),
      ]);
    } catch (err) {
      this.logger.warn(enqueueFailedMessage(id, err));
    } finally {
      clearTimeout(timer);
    }
  }

  private toExport(record: ExportRecord, now: number): AuditExport {
    const ready = record.readyAt !== null;
    return {
      id: record.id,
      orgId: record.orgId,
      status: effectiveStatus(record, now),
      filters: record.spec.filters,
      requestedBy: record.requestedBy,
      createdAt: new Date(record.createdAt),
      startedAt: toDate(record.startedAt),
      readyAt: toDate(record.readyAt),
      expiresAt: toDate(record.expiresAt),
      rowCount: ready ? record.rowCount : null,
      truncated: ready ? record.truncated : null,
      attempts: record.attempts,
      mailed: record.mailedAt !== null && record.mailedAt > 0,
    };
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }
}
