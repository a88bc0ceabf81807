import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { AuditRetentionConfigurableModule } from './retention.module-definition';
import { RetentionService } from './retention.service';

/**
 * Retention: deletes events older than `retentionDays` (180 by default) every hour. Needs
 * `AuditLogModule.forRoot({ isGlobal: true })`. Turn the schedule off (`schedule: false`) in
 * processes that should not purge; `RetentionService.purge()` runs it on demand.
 */
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [RetentionService],
  exports: [RetentionService],
})
export class AuditRetentionModule extends AuditRetentionConfigurableModule {}
