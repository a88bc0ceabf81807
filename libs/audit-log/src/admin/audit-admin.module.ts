import {
  Inject,
  Logger,
  MiddlewareConsumer,
  Module,
  NestModule,
  RequestMethod,
} from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { MODULE_PATH } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { CursorCodec } from '../query/cursor';
import { EventHistogramService } from '../query/event-histogram.service';
import { EventQueryService } from '../query/event-query.service';
import { StreamCursorCodec } from '../query/stream-cursor';
import { StreamQueryService } from '../query/stream-query.service';
import { AUDIT_REQUEST_GUARD } from '../http/http.constants';
import { AdminAuthGuard } from './admin-auth.guard';
import { ApiKeyService } from './api-keys/api-key.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { AdminAuthService } from './admin-auth.service';
import { AUDIT_CURSOR_CODEC } from './admin.internal-constants';
import {
  AUDIT_ADMIN_MODULE_OPTIONS,
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  AuditAdminConfigurableModule,
  resolveAuditAdminOptions,
  ResolvedAuditAdminOptions,
} from './audit-admin.module-definition';
import { BodyLimitMiddleware, BulkBodyLimitMiddleware } from './body-limit.middleware';
import { BulkIngestController } from './bulk-ingest.controller';
import { IngestService } from './ingest.service';
import { EventsController } from './events.controller';
import { EventsHistogramController } from './events-histogram.controller';
import { EventsStreamController } from './events-stream.controller';
import { HealthController } from './health.controller';
import { IdempotencyService } from './idempotency.service';
import { IntegrityController } from './integrity.controller';
import { OutageMonitor } from '../http/outage';
import { resolveAdminRateLimits } from './admin-rate-limits';
import { AUDIT_RATE_LIMITS } from '../http/rate-limit.internal-constants';
import { ReadinessService } from '../http/readiness.service';
import { SessionController } from './session.controller';
import { OidcController } from './oidc/oidc.controller';
import { OidcService } from './oidc/oidc.service';
import { AdminSessionService } from './sessions/admin-session.service';
import { UserSessionsController } from './sessions/user-sessions.controller';
import { UiController } from './ui.controller';
import { ViewerCorsMiddleware } from './viewer-tokens/viewer-cors.middleware';
import { ViewerTokenService } from './viewer-tokens/viewer-token.service';
import { ViewerTokensController } from './viewer-tokens/viewer-tokens.controller';
import { ViewerConfigController } from './viewer/viewer-config.controller';

/**
 * The path a host mounted `module` at with RouterModule (`audit/`), or '' at the root: what Nest
 * itself prefixes to the module's controllers (the metadata RouterModule writes, read as Nest's
 * RoutesMapper reads it).
 */
function mountPathOf(module: object, modules: ModulesContainer): string {
  const path: unknown =
    Reflect.getMetadata(MODULE_PATH + modules.applicationId, module) ??
    Reflect.getMetadata(MODULE_PATH, module);
  const trimmed = typeof path === 'string' ? path.replace(/^\/+|\/+$/g, '') : '';
  return trimmed ? `${trimmed}/` : '';
}

/**
 * The admin plugin: the REST API of docs/api.md section 5, the web UI, health checks. Needs
 * `AuditLogModule.forRoot({ isGlobal: true, ... })` in the same app. Mount it under a path of the
 * host's with `RouterModule.register([{ path: 'audit', module: AuditAdminModule }])`.
 */
@Module({
  controllers: [
    EventsController,
    EventsStreamController,
    EventsHistogramController,
    BulkIngestController,
    SessionController,
    OidcController,
    UserSessionsController,
    ApiKeysController,
    ViewerTokensController,
    IntegrityController,
    ViewerConfigController,
    HealthController,
    UiController,
  ],
  providers: [
    {
      provide: AUDIT_ADMIN_RESOLVED_OPTIONS,
      useFactory: resolveAuditAdminOptions,
      inject: [AUDIT_ADMIN_MODULE_OPTIONS],
    },
    AdminAuthService,
    OidcService,
    ApiKeyService,
    ViewerTokenService,
    ViewerCorsMiddleware,
    {
      provide: AdminSessionService,
      useFactory: (dataSource: DataSource, o: ResolvedAuditAdminOptions) =>
        new AdminSessionService(dataSource, o.clock),
      inject: [AUDIT_DATA_SOURCE, AUDIT_ADMIN_RESOLVED_OPTIONS],
    },
    AdminAuthGuard,
    { provide: AUDIT_REQUEST_GUARD, useExisting: AdminAuthGuard },
    EventQueryService,
    EventHistogramService,
    StreamQueryService,
    IdempotencyService,
    IngestService,
    ReadinessService,
    OutageMonitor,
    {
      provide: AUDIT_RATE_LIMITS,
      useFactory: resolveAdminRateLimits,
      inject: [AUDIT_ADMIN_MODULE_OPTIONS],
    },
    BodyLimitMiddleware,
    BulkBodyLimitMiddleware,
    {
      provide: AUDIT_CURSOR_CODEC,
      useFactory: (o: ResolvedAuditAdminOptions) => {
        const secret = o.secret ?? o.jwt?.secret;
        if (!secret) {
          new Logger('AuditLog').warn(
            'AuditAdminModule: no options.secret; paging cursors are signed with a per-process key and will not work across instances',
          );
        }
        return new CursorCodec(secret ?? randomBytes(32));
      },
      inject: [AUDIT_ADMIN_RESOLVED_OPTIONS],
    },
    {
      // Same secret as the cursors of GET events (the warning above covers a missing one).
      provide: StreamCursorCodec,
      useFactory: (o: ResolvedAuditAdminOptions) =>
        new StreamCursorCodec(o.secret ?? o.jwt?.secret ?? randomBytes(32)),
      inject: [AUDIT_ADMIN_RESOLVED_OPTIONS],
    },
  ],
  exports: [
    AdminAuthService,
    ViewerTokenService,
    AdminAuthGuard,
    AUDIT_REQUEST_GUARD,
    EventQueryService,
    ReadinessService,
    OutageMonitor,
    AUDIT_CURSOR_CODEC,
    AUDIT_ADMIN_MODULE_OPTIONS,
    AUDIT_ADMIN_RESOLVED_OPTIONS,
  ],
})
export class AuditAdminModule extends AuditAdminConfigurableModule implements NestModule {
  constructor(
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly resolved: ResolvedAuditAdminOptions,
    private readonly modules: ModulesContainer,
  ) {
    super();
  }

  configure(consumer: MiddlewareConsumer): void {
    // Path strings here, unlike controllers, are not prefixed with the host's mount: add it.
    const under = (path: string) => mountPathOf(AuditAdminModule, this.modules) + path;
    // First, so that a preflight is answered before any other middleware reads the request. Only
    // with origins to allow: otherwise it is one more layer every request is matched against.
    if (this.resolved.viewerTokens.allowedOrigins.length) {
      consumer
        .apply(ViewerCorsMiddleware)
        .forRoutes({ path: under('admin/v1/*path'), method: RequestMethod.ALL }, UiController);
    }
    // The bulk route reads up to 1,000 events' worth; every other POST, one event's.
    const bulk = { path: under('admin/v1/orgs/:orgId/events/bulk'), method: RequestMethod.POST };
    consumer.apply(BulkBodyLimitMiddleware).forRoutes(bulk);
    consumer
      .apply(BodyLimitMiddleware)
      .exclude(bulk)
      .forRoutes(
        // Exports (AuditExportModule) and destinations (AuditDestinationsModule) mounted at the
        // same path read their bodies through the same limits.
        { path: under('admin/v1/*path'), method: RequestMethod.POST },
        { path: under('admin/v1/*path'), method: RequestMethod.PATCH },
      );
  }
}
