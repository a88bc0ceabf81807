import {
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import { AUDIT_RATE_LIMITS } from '../http/rate-limit.internal-constants';
import { warnIfNotScheduled } from '../common/scheduler-check';
import { EventQueryService } from '../query/event-query.service';
import { AuditExportService } from './audit-export.service';
import { ExportAuthGuard } from './export-auth.guard';
import { ExportDownloadController } from './export-download.controller';
import { ExportLinkSigner } from './export-link-signer';
import { ResolvedAuditExportOptions } from './export-options.interface';
import { ExportProcessor } from './export-processor';
import { exportRateLimits } from './export-rate-limits';
import { ExportRepository } from './export-repository';
import {
  AUDIT_EXPORT_LINK_SIGNER,
  AUDIT_EXPORT_MAILER,
  AUDIT_EXPORT_QUEUE,
  AUDIT_EXPORT_RESOLVED_OPTIONS,
  AUDIT_EXPORT_STORAGE,
  EXPORT_CLEANUP_CRON,
} from './export.internal-constants';
import { adminPluginMissingMessage } from './export.messages';
import {
  AUDIT_EXPORT_MODULE_OPTIONS,
  AuditExportConfigurableModule,
  resolveExportOptions,
} from './export.module-definition';
import { ExportsController } from './exports.controller';
import { ExportMailer } from './mail/export-mailer';
import { BullExportQueue } from './queue/bull-export-queue';
import { ExportJobQueue } from './queue/export-job-queue.interface';
import { InProcessExportQueue } from './queue/in-process-export-queue';
import { LocalExportStorage } from './storage/local-export-storage';

const providers: Provider[] = [
  {
    provide: AUDIT_EXPORT_RESOLVED_OPTIONS,
    useFactory: resolveExportOptions,
    inject: [AUDIT_EXPORT_MODULE_OPTIONS],
  },
  {
    provide: AUDIT_EXPORT_STORAGE,
    useFactory: (o: ResolvedAuditExportOptions) =>
      o.storage ?? new LocalExportStorage({ directory: o.storageDir }),
    inject: [AUDIT_EXPORT_RESOLVED_OPTIONS],
  },
  {
    provide: AUDIT_EXPORT_LINK_SIGNER,
    useFactory: (o: ResolvedAuditExportOptions) => new ExportLinkSigner({ secret: o.linkSecret }),
    inject: [AUDIT_EXPORT_RESOLVED_OPTIONS],
  },
  {
    provide: AUDIT_EXPORT_MAILER,
    useFactory: (o: ResolvedAuditExportOptions) =>
      new ExportMailer({
        smtpUrl: o.smtpUrl,
        outboxDir: o.outboxDir,
        logger: new Logger('AuditExport'),
      }),
    inject: [AUDIT_EXPORT_RESOLVED_OPTIONS],
  },
  {
    provide: AUDIT_EXPORT_QUEUE,
    useFactory: (o: ResolvedAuditExportOptions): ExportJobQueue => {
      const logger = new Logger('AuditExport');
      const retry = { attempts: o.queue.attempts, backoffMs: o.queue.backoffMs };
      if (!o.redisUrl) return new InProcessExportQueue(retry, logger);
      return new BullExportQueue({
        ...retry,
        redisUrl: o.redisUrl,
        name: o.queue.name,
        prefix: o.queue.prefix,
        lockDurationMs: o.queue.lockDurationMs,
        stalledIntervalMs: o.queue.stalledIntervalMs,
        maxStalledCount: o.queue.maxStalledCount,
        commandTimeoutMs: o.queue.commandTimeoutMs,
        logger,
      });
    },
    inject: [AUDIT_EXPORT_RESOLVED_OPTIONS],
  },
  {
    provide: AUDIT_RATE_LIMITS,
    useFactory: (o: ResolvedAuditExportOptions, signer: ExportLinkSigner) =>
      exportRateLimits(o, signer),
    inject: [AUDIT_EXPORT_RESOLVED_OPTIONS, AUDIT_EXPORT_LINK_SIGNER],
  },
  // Its own instance: worker processes may run without the admin plugin.
  EventQueryService,
  ExportRepository,
  ExportProcessor,
  AuditExportService,
  ExportAuthGuard,
];

/**
 * Exports of the audit log (docs/api.md section 5): `POST /admin/v1/orgs/{orgId}/exports` queues one,
 * a worker streams the matching events into a CSV file and mails the requesting admin a signed
 * link, `GET /admin/v1/exports/download?token=...` serves the file until the link expires, and
 * an hourly cleanup deletes expired files.
 *
 * Needs `AuditLogModule.forRoot({ isGlobal: true, ... })` and, for the routes,
 * `AuditAdminModule.forRoot(...)` in the same app (mount all three under the same path):
 *
 * ```ts
 * AuditExportModule.forRootAsync({
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({
 *     redisUrl: config.get('REDIS_URL'),
 *     publicUrl: config.getOrThrow('PUBLIC_URL'),
 *     linkSecret: config.getOrThrow('EXPORT_LINK_SECRET'),
 *     worker: config.get('WORKER') !== 'false',
 *   }),
 * })
 * ```
 *
 * With `redisUrl`, jobs go through a Bull queue that any number of API processes
 * (`worker: false`) feed and any number of worker processes drain. Without it, jobs run in the
 * process that queued them (development).
 */
@Module({
  controllers: [ExportsController, ExportDownloadController],
  providers,
  exports: [AuditExportService],
})
export class AuditExportModule
  extends AuditExportConfigurableModule
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private readonly logger = new Logger('AuditExport');

  constructor(
    @Inject(AUDIT_EXPORT_MAILER) private readonly mailer: ExportMailer,
    private readonly guard: ExportAuthGuard,
    private readonly http: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
    @Inject(AUDIT_EXPORT_RESOLVED_OPTIONS) private readonly options: ResolvedAuditExportOptions,
  ) {
    super();
  }

  onApplicationBootstrap(): void {
    // Only an app that serves HTTP needs the routes; a worker-only context does not.
    if (this.http.httpAdapter && !this.guard.isAvailable()) {
      this.logger.warn(adminPluginMissingMessage());
    }
    if (this.options.cleanup)
      warnIfNotScheduled(this.moduleRef, EXPORT_CLEANUP_CRON, 'Export cleanup');
  }

  onApplicationShutdown(): void {
    this.mailer.close();
  }
}
