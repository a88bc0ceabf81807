import {
  DynamicModule,
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
  AUDIT_EXPORT_RESOLVED_OPTIONS,
  AUDIT_EXPORT_STORAGE,
  EXPORT_CLEANUP_CRON,
} from './export.internal-constants';
import { adminPluginMissingMessage } from './export.messages';
import {
  AUDIT_EXPORT_ASYNC_OPTIONS_TYPE,
  AUDIT_EXPORT_OPTIONS_TYPE,
  AuditExportConfigurableModule,
  DEFAULT_EXPORT_QUEUE_NAME,
  ExportQueueRegistration,
  exportQueueRegistration,
} from './export.module-definition';
import { ExportsController } from './exports.controller';
import { ExportMailer } from './mail/export-mailer';
import { withExportQueue } from './queue/export-queue.registration';
import { LocalExportStorage } from './storage/local-export-storage';

// The options and the queue come with forRoot()/forRootAsync() (see withExportQueue).
const providers: Provider[] = [
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
 *     redisUrl: config.getOrThrow('REDIS_URL'),
 *     publicUrl: config.getOrThrow('PUBLIC_URL'),
 *     linkSecret: config.getOrThrow('EXPORT_LINK_SECRET'),
 *     worker: config.get('WORKER') !== 'false',
 *   }),
 * })
 * ```
 *
 * With `redisUrl`, jobs go through a Bull queue that any number of API processes
 * (`worker: false`) feed and any number of worker processes drain. `@nestjs/bull` registers it
 * (`getQueueToken(queue.name)`); with `queue.useHostConnection` it uses the host's
 * `BullModule.forRoot()` connection instead of `redisUrl`. Without either, jobs run in the
 * process that queued them (development) and no Bull queue is created.
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

  /** The module, with a Bull queue when `redisUrl` or `queue.useHostConnection` is set. */
  static forRoot(options: typeof AUDIT_EXPORT_OPTIONS_TYPE): DynamicModule {
    return withExportQueue(super.forRoot(options), exportQueueRegistration(options));
  }

  /**
   * The module with options from a factory. The Bull queue is registered before the factory
   * runs (its name is its token), so it is declared here: the factory must then give `redisUrl`
   * or `queue.useHostConnection` (with `bullQueue.configKey` as its configKey), or none of them
   * with `bullQueue: false`; a mismatch fails the start.
   */
  static forRootAsync(
    options: typeof AUDIT_EXPORT_ASYNC_OPTIONS_TYPE & {
      /**
       * The Bull export queue: its `name` (the factory's `queue.name` must be unset or equal)
       * and the `configKey` of the host's `BullModule.forRoot()` it shares, if one; `false` for
       * the in-process queue.
       * @default { name: 'auditkit-exports' }
       */
      bullQueue?: Partial<ExportQueueRegistration> | false;
    },
  ): DynamicModule {
    const { bullQueue = {}, ...rest } = options;
    return withExportQueue(
      super.forRootAsync(rest),
      bullQueue && {
        name: bullQueue.name ?? DEFAULT_EXPORT_QUEUE_NAME,
        configKey: bullQueue.configKey,
      },
    );
  }

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
