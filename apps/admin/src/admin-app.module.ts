import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { join } from 'node:path';
import { AuditLogModule } from '@auditkit/nestjs';
import { AuditAdminModule } from '@auditkit/nestjs/admin';
import { AuditExportModule } from '@auditkit/nestjs/export';
import { AuditRetentionModule } from '@auditkit/nestjs/retention';
import { AuditMetricsModule } from '@auditkit/nestjs/metrics';
import { AuditDestinationsModule } from '@auditkit/nestjs/destinations';
import { dbIpLocationResolver } from '@auditkit/nestjs/location';
import { AdminConfig } from './config';
import { integrityOptions } from './integrity-config';

/** The bundled admin app: the library wired from configuration, nothing more. */
@Module({})
export class AdminAppModule {
  static forConfig(config: AdminConfig): DynamicModule {
    return {
      module: AdminAppModule,
      imports: [
        // The one scheduler of the app: retention and export cleanup declare @Cron jobs.
        ScheduleModule.forRoot(),
        AuditLogModule.forRoot({
          isGlobal: true,
          databaseUrl: config.databaseUrl,
          integrity: integrityOptions(config.integrity, config.scheduler),
          // On by default: DB-IP's city data ships in an npm package, read offline page by page.
          location: config.geoip ? { resolve: dbIpLocationResolver() } : {},
          // No @Audit() handlers here: an app-wide interceptor would only cost every request.
          globalInterceptor: false,
        }),
        AuditAdminModule.forRoot({
          jwt: { secret: config.jwtSecret, jwksUrl: config.jwksUrl },
          secret: config.jwtSecret,
          sessionTtlHours: config.sessionTtlHours,
          oidc: config.signIn.oidc,
          tokenSignIn: config.signIn.tokenSignIn,
          viewer: config.viewer,
          // Only when set: viewer tokens are on either way, keyed by the JWT secret.
          viewerTokens: config.viewerOrigins.length
            ? { allowedOrigins: config.viewerOrigins }
            : undefined,
          rateLimit: {
            reads: config.rateLimits.reads,
            ingest: config.rateLimits.ingest,
            perToken: {
              events: config.rateLimits.tokenReads,
              stream: config.rateLimits.tokenStream,
            },
          },
        }),
        AuditExportModule.forRoot({
          redisUrl: config.redisUrl,
          worker: config.worker,
          storageDir: join(config.dataDir, 'exports'),
          outboxDir: join(config.dataDir, 'outbox'),
          smtpUrl: config.smtpUrl,
          mailFrom: config.mailFrom,
          publicUrl: config.publicUrl,
          linkTtlHours: config.exportLinkTtlHours,
          maxRows: config.exportMaxRows,
          // Each use derives its own key from the secret, so one secret serves tokens and links.
          linkSecret: config.jwtSecret!,
          cleanup: config.scheduler,
          rateLimit: { exports: config.rateLimits.exports, downloads: config.rateLimits.downloads },
        }),
        AuditRetentionModule.forRoot({
          retentionDays: config.retentionDays,
          schedule: config.scheduler,
        }),
        AuditDestinationsModule.forRoot({
          encryptionKey: config.destinations.key,
          enabled: config.destinations.worker,
          pollIntervalMs: config.destinations.pollIntervalMs,
          batchSize: config.destinations.batchSize,
          fileDirectory: config.destinations.fileDir,
        }),
        // On by default at /metrics on the HTTP port; outside the admin guard and rate limits.
        ...(config.metrics.enabled
          ? [
              AuditMetricsModule.forRoot({
                defaultMetrics: true,
                port: config.metrics.port,
                token: config.metrics.token,
              }),
            ]
          : []),
      ],
    };
  }
}
