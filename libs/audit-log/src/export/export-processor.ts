import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Readable } from 'node:stream';
import { describeFilters } from '../http/event-filters';
import { ActionCatalog } from '../catalog/action-catalog';
import type { AuditEvent } from '../event/audit-event.interface';
import {
  ExportManifestBody,
  signExportManifest,
  SignedExportManifest,
} from '../integrity/export-manifest';
import { IntegrityService } from '../integrity/integrity.service';
import {
  AUDIT_METRICS_SINK,
  AuditMetricsSink,
  NOOP_METRICS_SINK,
} from '../metrics/audit-metrics-sink';
import { EventQueryService } from '../query/event-query.service';
import { Chunked } from './csv/chunked';
import { writeEventsCsv, WriteEventsCsvResult } from './csv/export-csv';
import { ExportLinkSigner } from './export-link-signer';
import { ResolvedAuditExportOptions } from './export-options.interface';
import { exportManifestKey, ExportRecord, exportStorageKey } from './export-record';
import { ExportRepository } from './export-repository';
import { readAhead } from './read-ahead';
import {
  AUDIT_EXPORT_LINK_SIGNER,
  AUDIT_EXPORT_MAILER,
  AUDIT_EXPORT_RESOLVED_OPTIONS,
  AUDIT_EXPORT_STORAGE,
  DOWNLOAD_PATH,
  EXPORT_PAGE_SIZE,
  MANIFEST_FILE,
} from './export.internal-constants';
import {
  EXPORT_FAILED_REASON,
  exportAttemptFailedMessage,
  exportFailedMessage,
  exportFileNotDeletedMessage,
} from './export.messages';
import { buildExportFailedMail, buildExportReadyMail } from './mail/export-mail';
import { ExportMailer } from './mail/export-mailer';
import type { ExportStorage } from './storage/export-storage.interface';

const HOUR = 3600 * 1000;

/** What one attempt wrote: the CSV's rows and the SHA-256 of its bytes. */
interface WrittenFile extends WriteEventsCsvResult {
  sha256: string;
}

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Does one export: claims an attempt, streams the events into the storage as CSV, marks the
 * export ready and sends its one mail. Every step is a conditional UPDATE on `auditkit_exports`,
 * so running it twice at once, or again after a worker died anywhere in it, is safe:
 *
 * - the file: each attempt writes the same bytes (the spec pins filters, cap and snapshot seq)
 *   and storage replaces the key atomically, so there is one complete file whatever the order;
 * - the manifest: written after the file and before ready, by every attempt; they differ only
 *   in `createdAt` and the signature, and each states the same bytes, so any one of them fits;
 * - ready: the first attempt to finish wins `running → ready`; the others change nothing;
 * - the mail: sent only by the worker whose `mailed_at IS NULL → -now` claim changed the row,
 *   confirmed with the send time afterwards. A claim never confirmed (the worker died between
 *   claim and confirmation) is taken over after `mailClaimTimeoutMs`. That resend can duplicate
 *   a mail only when the worker died after the SMTP server accepted it and before the row was
 *   updated; both copies then carry the same Message-ID.
 */
@Injectable()
export class ExportProcessor {
  private readonly logger = new Logger('AuditExport');

  constructor(
    @Inject(AUDIT_EXPORT_RESOLVED_OPTIONS) private readonly options: ResolvedAuditExportOptions,
    private readonly repository: ExportRepository,
    private readonly query: EventQueryService,
    private readonly catalog: ActionCatalog,
    @Inject(AUDIT_EXPORT_STORAGE) private readonly storage: ExportStorage,
    @Inject(AUDIT_EXPORT_MAILER) private readonly mailer: ExportMailer,
    @Inject(AUDIT_EXPORT_LINK_SIGNER) private readonly signer: ExportLinkSigner,
    private readonly integrity: IntegrityService,
    @Optional()
    @Inject(AUDIT_METRICS_SINK)
    private readonly metrics: AuditMetricsSink = NOOP_METRICS_SINK,
  ) {}

  /** Brings the export as far as it can go; rejects when the attempt should be retried. */
  async run(exportId: string): Promise<void> {
    // A lost claim means another worker moved the row meanwhile: read it again and follow it.
    for (let round = 0; round < 10; round++) {
      const record = await this.repository.find(exportId);
      if (!record || record.status === 'expired') return;
      if (record.status === 'ready' || record.status === 'failed') return this.deliver(record);
      if (record.attempts >= this.options.queue.attempts) {
        return this.giveUp(record, new Error(`no attempt finished out of ${record.attempts}`));
      }
      if (await this.repository.claimAttempt(record.id, record.attempts, this.now())) {
        return this.attempt(record, record.attempts + 1);
      }
    }
    throw new Error(`Export ${exportId} kept changing under this worker; retrying later`);
  }

  private async attempt(record: ExportRecord, attempt: number): Promise<void> {
    const key = exportStorageKey(record.id);
    let result: WrittenFile;
    try {
      result = await this.writeFile(record, key);
      await this.writeManifest(record, result);
    } catch (err) {
      if (attempt >= this.options.queue.attempts) return this.giveUp(record, err);
      this.logger.warn(exportAttemptFailedMessage(record.id, attempt, err));
      await this.repository.recordError(record.id, describeError(err)).catch(() => undefined);
      throw err;
    }
    const readyAt = this.now();
    const won = await this.repository.markReady(record.id, {
      readyAt,
      expiresAt: readyAt + Math.round(this.options.linkTtlHours * HOUR),
      rowCount: result.rowCount,
      truncated: result.truncated,
      storageKey: key,
    });
    if (won) this.metrics.exportFinished('ready', (readyAt - record.createdAt) / 1000);
    const current = await this.repository.find(record.id);
    if (!current) return;
    if (!won && (current.status === 'expired' || current.status === 'failed')) {
      // This attempt finished after the export was given up or cleaned up: its rename must not
      // bring a file back.
      await this.storage.delete(exportManifestKey(record.id));
      await this.storage.delete(key);
      if (current.status === 'expired') return;
    }
    return this.deliver(current);
  }

  private async writeFile(record: ExportRecord, key: string): Promise<WrittenFile> {
    const { filters, maxRows, snapshotSeq } = record.spec;
    const pageSize = Math.min(EXPORT_PAGE_SIZE, maxRows + 1);
    // The next page is fetched while this one is written, so the database and the CSV overlap.
    // Only events that existed when the export was requested are kept (seq is commit-ordered).
    const events = readAhead(
      this.query.stream(record.orgId, filters, { pageSize }),
      pageSize,
      (event: AuditEvent) => event.seq <= snapshotSeq,
    );
    const csv = new Chunked();
    const stored = this.storage.write(key, csv);
    // A storage that fails before reading anything must not leave the CSV writer waiting.
    stored.catch((err: unknown) => csv.destroy(err as Error));
    const written = writeEventsCsv(events, csv, (action) => this.catalog.describe(action), {
      maxRows,
    });
    const [store, write] = await Promise.allSettled([stored, written]);
    if (write.status === 'rejected') throw write.reason;
    if (store.status === 'rejected') throw store.reason;
    // The storage took every byte the CSV stream passed on, so this is the stored file's hash.
    return { ...write.value, sha256: csv.sha256() };
  }

  /**
   * Stores the export's manifest beside its file: what the file holds, its SHA-256 and the
   * org's chain head at the export's snapshot, signed with the integrity key (docs/integrity.md,
   * "Export manifests"). Without a key it is written unsigned, and never verifies.
   */
  private async writeManifest(record: ExportRecord, file: WrittenFile): Promise<void> {
    const keys = this.integrity.keys;
    const body: ExportManifestBody = {
      v: 1,
      type: 'auditkit-export-manifest',
      org: record.orgId,
      exportId: record.id,
      filters: describeFilters(record.spec.filters),
      rowCount: file.rowCount,
      truncated: file.truncated,
      seqRange: file.seqRange,
      sha256: file.sha256,
      chainHead: await this.repository.chainHead(record.orgId, record.spec.snapshotSeq),
      createdAt: this.now(),
      keyId: keys?.keyId ?? '',
    };
    const manifest: SignedExportManifest = keys
      ? signExportManifest(body, keys.privateKey)
      : { ...body, signature: '' };
    const bytes = Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
    await this.storage.write(exportManifestKey(record.id), Readable.from([bytes]));
  }

  private async giveUp(record: ExportRecord, err: unknown): Promise<void> {
    this.logger.error(exportFailedMessage(record.id, err));
    if (await this.repository.markFailed(record.id, describeError(err))) {
      this.metrics.exportFinished('failed', (this.now() - record.createdAt) / 1000);
    }
    const current = await this.repository.find(record.id);
    if (current?.status !== 'failed') return;
    // An attempt can fail after storing the file (its manifest could not be written); a failed
    // export has no link, so nothing would ever serve or delete what it left.
    for (const key of [exportManifestKey(record.id), exportStorageKey(record.id)]) {
      await this.storage
        .delete(key)
        .catch((e: unknown) => this.logger.warn(exportFileNotDeletedMessage(record.id, key, e)));
    }
    return this.deliver(current);
  }

  /** Sends the export's one mail (ready or failed) unless it was sent or is being sent. */
  private async deliver(record: ExportRecord): Promise<void> {
    const sent = record.mailedAt !== null && record.mailedAt > 0;
    if (sent) return;
    const now = this.now();
    if (record.mailedAt !== null && now + record.mailedAt < this.options.queue.mailClaimTimeoutMs) {
      // Another worker claimed it moments ago and is sending; if it dies, recovery takes over
      // once the claim is old enough.
      return;
    }
    const claim = -now;
    if (!(await this.repository.claimMail(record.id, record.mailedAt, claim))) return;
    if (!record.requesterEmail) {
      await this.repository.confirmMail(record.id, claim, now);
      return;
    }
    try {
      const { message, downloadUrl } = this.buildMail(record);
      await this.mailer.send(message, { downloadUrl });
    } catch (err) {
      await this.repository.releaseMail(record.id, claim).catch(() => undefined);
      throw err;
    }
    await this.confirm(record.id, claim);
  }

  private async confirm(id: string, claim: number): Promise<void> {
    // The mail is out; a lost confirmation would make recovery send it again, so insist a little.
    for (let i = 0; ; i++) {
      try {
        await this.repository.confirmMail(id, claim, Math.max(1, this.now()));
        return;
      } catch (err) {
        if (i >= 4) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** i));
      }
    }
  }

  private buildMail(record: ExportRecord) {
    const common = {
      to: record.requesterEmail!,
      recipientName: record.requesterName ?? undefined,
      orgId: record.orgId,
      from: this.options.mailFrom,
    };
    // One Message-ID per export: should a resend ever happen, mail systems see the same message.
    const messageId = `<export-${record.id}@${new URL(this.options.publicUrl).hostname || 'auditkit'}>`;
    if (record.status === 'failed') {
      return {
        message: {
          ...buildExportFailedMail({
            ...common,
            retryUrl: `${this.options.publicUrl}/`,
            reason: EXPORT_FAILED_REASON,
          }),
          messageId,
        },
        downloadUrl: undefined,
      };
    }
    const expiresAt = new Date(record.expiresAt!);
    const token = this.signer.sign({ exportId: record.id, orgId: record.orgId, expiresAt });
    const downloadUrl = `${this.options.publicUrl}/${DOWNLOAD_PATH}?token=${token}`;
    const message = buildExportReadyMail({
      ...common,
      downloadUrl,
      manifestUrl: `${downloadUrl}&file=${MANIFEST_FILE}`,
      expiresAt,
      rowCount: record.rowCount ?? 0,
      truncated: record.truncated,
      maxRows: record.spec.maxRows,
    });
    return { message: { ...message, messageId }, downloadUrl };
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }
}
