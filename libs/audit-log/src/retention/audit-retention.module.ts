import { Module } from '@nestjs/common';
import {
  AUDIT_RETENTION_OPTIONS,
  AUDIT_RETENTION_RESOLVED_OPTIONS,
  AuditRetentionConfigurableModule,
  resolveRetentionOptions,
} from './retention.module-definition';
import { RetentionService } from './retention.service';

/**
 * Retention: every hour, removes each org's events older than `retentionDays` (180 by default)
 * as a signed prefix of its chain (docs/integrity.md). Needs
 * `AuditLogModule.forRoot({ isGlobal: true })` and, for the schedule, `ScheduleModule.forRoot()`
 * in the app. Turn the schedule off (`schedule: false`) in processes that should not purge;
 * `RetentionService.purge()` runs it on demand.
 */
@Module({
  providers: [
    {
      provide: AUDIT_RETENTION_RESOLVED_OPTIONS,
      useFactory: resolveRetentionOptions,
      inject: [AUDIT_RETENTION_OPTIONS],
    },
    RetentionService,
  ],
  exports: [RetentionService],
})
export class AuditRetentionModule extends AuditRetentionConfigurableModule {}
