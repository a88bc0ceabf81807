// `@auditkit/nestjs/retention`: the scheduled purge. Needs @nestjs/schedule.
export { AuditRetentionModule } from './audit-retention.module';
export type { AuditRetentionModuleOptions } from './retention-options.interface';
export { RetentionService } from './retention.service';
export type { PurgeResult } from './retention.service';
