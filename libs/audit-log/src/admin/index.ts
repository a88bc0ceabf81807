// `@auditkit/nestjs/admin`: the admin plugin (REST API, web UI, sign-in) and the query side.
// Needs, beside the core's peers: class-validator, class-transformer, @nestjs/throttler, jose,
// cookie and express; openid-client for OpenID Connect sign-in (see docs/packaging.md).
export { AuditAdminModule } from './audit-admin.module';
export type {
  AuditAdminModuleOptions,
  AuditAdminRateLimitOptions,
  AuditAdminTokenRateLimitOptions,
} from './audit-admin-options.interface';
export type { AuditOidcOptions, AuditOidcRoleMapping } from './oidc/oidc-options';
export { AUDIT_VIEWER_COLUMNS } from './viewer/viewer-options';
export type { AuditViewerColumn, AuditViewerOptions } from './viewer/viewer-options';
export type { AuditRateLimit } from '../http/rate-limit';
export { ApiExceptionFilter } from '../http/api-error';
export { AdminAuthGuard } from './admin-auth.guard';
export { ViewerTokenService, ViewerTokenInputError } from './viewer-tokens/viewer-token.service';
export type {
  MintViewerTokenOptions,
  MintedViewerToken,
} from './viewer-tokens/viewer-token.service';
export type { AuditViewerTokenOptions } from './viewer-tokens/viewer-token-options';
export { isViewerOrigin } from './viewer-tokens/viewer-token-options';
export { AdminSessionService } from './sessions/admin-session.service';
export type { AdminSession, OpenedAdminSession } from './sessions/admin-session.service';
export { isValidEmailClaim, isValidNameClaim, CLAIM_LIMITS } from '../auth/claims';
export { ReadinessService } from '../http/readiness.service';
export type { ReadinessCheck } from '../http/readiness.service';
export { EventQueryService } from '../query/event-query.service';
export type { EventFilters } from '../query/event-filters';
export type {
  AuditPrincipal,
  AuditViewerGrant,
  AuditViewerNarrowing,
} from '../auth/audit-principal.interface';
export { ORG_ADMIN_ROLE, EVENTS_WRITE_SCOPE } from '../auth/audit-principal.interface';
export { JwtVerifier, signAuditToken, InvalidTokenError } from '../auth/jwt';
export type { JwtAuthOptions, AuditTokenClaims, VerifiedToken } from '../auth/jwt';
export { createAuditOpenApiDocument } from '../http/openapi/document';
export type { AuditOpenApiOptions, OpenApiDocument } from '../http/openapi/document';
