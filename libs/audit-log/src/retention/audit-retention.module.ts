import { Module } from '@nestjs/common';
import { AuditRetentionConfigurableModule } from './retention.module-definition';
import { RetentionService } from './retention.service';

/**
 * Retention: deletes events older than `retentionDays` (180 by default) every hour. Needs
 * `AuditLogModule.forRoot({ isGlobal: true })` and, for the schedule, `ScheduleModule.forRoot()`
 * in the app. Turn the schedule off (`schedule: false`) in
 * processes that should not purge; `RetentionService.purge()` runs it on demand.
 */
@Module({
  providers: [RetentionService],
  exports: [RetentionService],
})
export class AuditRetentionModule extends AuditRetentionConfigurableModule {}
