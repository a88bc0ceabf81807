// The public API of @auditkit/nestjs, the core entry point: recording, the event, the store's
// schema and integrity. It needs only Nest, TypeORM and the host's database driver. The admin
// plugin, exports, retention and metrics are entry points of their own (`@auditkit/nestjs/admin`,
// `/export`, `/retention`, `/metrics`), so a host that only records installs nothing they need.
// Everything not exported from an entry point is internal.
export { AuditLogModule } from './audit-log.module';
export type { AuditLogModuleOptions } from './audit-log-options.interface';
export type {
  AuditGeoLocation,
  AuditLocationResolver,
  AuditLocationOptions,
} from './location/location-resolver';
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

export { verifyEventChain } from './store/chain-verifier';
export type { ChainVerification } from './store/chain-verifier';

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
