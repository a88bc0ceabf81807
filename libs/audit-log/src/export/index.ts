// `@auditkit/nestjs/export`: queued CSV exports, mailed download links. Needs @nestjs/bull and
// bull (with Redis), fast-csv and nodemailer (see docs/packaging.md).
export { AuditExportModule } from './audit-export.module';
export type {
  AuditExportModuleOptions,
  AuditExportQueueOptions,
  AuditExportRateLimitOptions,
} from './export-options.interface';
export { InvalidRequesterClaimException } from './exceptions/invalid-requester-claim.exception';
export { AuditExportService } from './audit-export.service';
export type { AuditExport, AuditExportRequest, ExportCleanupResult } from './audit-export.service';
export type { ExportStatus } from './export-record';
export type { ExportStorage, ExportStorageSource } from './storage/export-storage.interface';
export { LocalExportStorage } from './storage/local-export-storage';
export type { LocalExportStorageOptions } from './storage/local-export-storage';
export { EXPORT_CSV_COLUMNS } from './csv/export-csv';
export {
  EXPORT_READY_SUBJECT,
  EXPORT_FAILED_SUBJECT,
  DOWNLOAD_LINK_LABEL,
  MANIFEST_LINK_LABEL,
} from './mail/export-mail';
