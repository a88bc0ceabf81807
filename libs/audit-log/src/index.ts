// The public API of @auditkit/nestjs. Everything not exported here is internal.
export { AuditLogModule } from './audit-log.module';
export type { AuditLogModuleOptions } from './audit-log-options.interface';
export { AUDIT_METADATA } from './audit-log.constants';

export * from './event/audit-event.interface';
export { REDACTED, DEFAULT_REDACT_KEYS } from './event/redact';
export { EVENT_LIMITS } from './event/event-normalizer';
export type {
  AuditActionDefinition,
  AuditCategoryDefinition,
} from './catalog/audit-action.interface';
export { BUILTIN_ACTIONS, BUILTIN_CATEGORIES } from './catalog/builtin-actions';
export { ActionCatalog } from './catalog/action-catalog';

export { Audit } from './recording/audit.decorator';
export type { AuditContext, AuditOptions } from './recording/audit.decorator';
export { AuditService } from './recording/audit.service';
export type { RecordOptions } from './recording/audit.service';
export { AuditInterceptor } from './recording/audit.interceptor';
export { auditMiddleware } from './recording/audit.middleware';
export type { AuditMiddlewareOptions } from './recording/audit.middleware';
export { createAuditLog } from './recording/create-audit-log';
export type { StandaloneAuditLog } from './recording/create-audit-log';
export type { AuditFailurePolicy } from './recording/audit-writer';

export {
  AuditEventEntity,
  AuditEventTermEntity,
  AuditOrgStateEntity,
  AuditExportEntity,
  auditLogEntities,
} from './store/audit-event.entity';
export { auditLogMigrations } from './store/migrations';
export { AuditKitSchema1764000000000 } from './store/migrations/1764000000000-auditkit-schema';
export { AuditKitAdminSessions1764100000000 } from './store/migrations/1764100000000-admin-sessions';
export { runAuditLogMigrations } from './store/migration-runner';
export { auditDataSourceOptions } from './store/data-source-options';

export { AuditValidationError } from './exceptions/audit-validation.exception';
export { AuditWriteError } from './exceptions/audit-write.exception';
export { DependencyUnavailableError } from './exceptions/dependency-unavailable.exception';
export type { AuditDependency } from './exceptions/dependency-unavailable.exception';
export type { AuditClock } from './common/clock';

export { AuditAdminModule } from './admin/audit-admin.module';
export type {
  AuditAdminModuleOptions,
  AuditAdminRateLimitOptions,
} from './admin/audit-admin-options.interface';
export type { AuditRateLimit } from './admin/rate-limit';
export { ApiExceptionFilter } from './admin/api-error';
export { AdminAuthGuard } from './admin/admin-auth.guard';
export { AdminSessionService } from './admin/sessions/admin-session.service';
export type { AdminSession, OpenedAdminSession } from './admin/sessions/admin-session.service';
export { isValidEmailClaim, isValidNameClaim, CLAIM_LIMITS } from './auth/claims';
export { InvalidRequesterClaimException } from './export/exceptions/invalid-requester-claim.exception';
export { ReadinessService } from './admin/readiness.service';
export type { ReadinessCheck } from './admin/readiness.service';
export { EventQueryService } from './query/event-query.service';
export type { EventFilters } from './query/event-filters';
export type { AuditPrincipal } from './auth/audit-principal.interface';
export { ORG_ADMIN_ROLE, EVENTS_WRITE_SCOPE } from './auth/audit-principal.interface';
export { JwtVerifier, signAuditToken, InvalidTokenError } from './auth/jwt';
export type { JwtAuthOptions, AuditTokenClaims, VerifiedToken } from './auth/jwt';

export { AuditRetentionModule } from './retention/audit-retention.module';
export type { AuditRetentionModuleOptions } from './retention/retention-options.interface';
export { RetentionService } from './retention/retention.service';
export type { PurgeResult } from './retention/retention.service';
export { verifyEventChain } from './store/chain-verifier';
export type { ChainVerification } from './store/chain-verifier';

export { AuditExportModule } from './export/audit-export.module';
export type {
  AuditExportModuleOptions,
  AuditExportQueueOptions,
  AuditExportRateLimitOptions,
} from './export/export-options.interface';
export { AuditExportService } from './export/audit-export.service';
export type {
  AuditExport,
  AuditExportRequest,
  ExportCleanupResult,
} from './export/audit-export.service';
export type { ExportStatus } from './export/export-record';
export type { ExportStorage, ExportStorageSource } from './export/storage/export-storage.interface';
export { LocalExportStorage } from './export/storage/local-export-storage';
export type { LocalExportStorageOptions } from './export/storage/local-export-storage';
export { EXPORT_CSV_COLUMNS } from './export/csv/export-csv';
export {
  EXPORT_READY_SUBJECT,
  EXPORT_FAILED_SUBJECT,
  DOWNLOAD_LINK_LABEL,
  MANIFEST_LINK_LABEL,
} from './export/mail/export-mail';

// Integrity: the chain's format, signed checkpoints, witnesses, export manifests (docs/integrity.md).
export { IntegrityService, CheckpointRefusedError } from './integrity/integrity.service';
export type { AuditIntegrityOptions } from './integrity/integrity-options.interface';
export type { ChainReport, IntegrityProblem, VerifyTuning } from './integrity/chain-verifier';
export type {
  CheckpointBody,
  CheckpointKind,
  PurgeStatement,
  SignedCheckpoint,
} from './integrity/checkpoint';
export { checkpointSignatureValid, signCheckpoint } from './integrity/checkpoint';
export { SigningKeys, SigningKeyError, keyIdOf, parsePublicKey } from './integrity/signing-keys';
export type { PublishedKey } from './integrity/signing-keys';
export type { CheckpointWitness } from './integrity/witness/checkpoint-witness.interface';
export { FileCheckpointWitness } from './integrity/witness/file-witness';
export { WebhookCheckpointWitness } from './integrity/witness/webhook-witness';
export type { WebhookWitnessOptions } from './integrity/witness/webhook-witness';
export { canonicalize } from './integrity/canonical-json';
export { eventHashV1, EVENT_HASH_FORMAT } from './integrity/event-hash';
export type { HashableEvent, CommitmentSource } from './integrity/event-hash';
export { storedEventHash } from './integrity/stored-event-hash';
export {
  signExportManifest,
  verifyExportFile,
  countCsvRows,
  isUnsignedExportManifest,
} from './integrity/export-manifest';
export type {
  ExportManifestBody,
  SignedExportManifest,
  ExportVerification,
} from './integrity/export-manifest';
export { AuditKitIntegrity1765000000000 } from './store/migrations/1765000000000-integrity';

// Metrics: Prometheus through prom-client, opt-in (README "Metrics"). The module loads
// prom-client only when it is imported into an app; this block moves to the
// `@auditkit/nestjs/metrics` entry point when prom-client becomes an optional peer dependency.
export { AuditMetricsModule, AUDIT_METRICS_REGISTRY } from './metrics';
export type { AuditMetricsModuleOptions } from './metrics';
