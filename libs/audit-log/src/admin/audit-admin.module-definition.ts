import { ConfigurableModuleBuilder } from '@nestjs/common';
import { AuditClock, systemClock } from '../common/clock';
import { AuditAdminModuleOptions } from './audit-admin-options.interface';
import { invalidSessionTtlMessage } from './sessions/session.messages';
import { resolveOidcOptions, ResolvedOidcOptions } from './oidc/oidc-options';
import {
  resolveViewerTokenOptions,
  ResolvedViewerTokenOptions,
} from './viewer-tokens/viewer-token-options';
import { resolveViewerOptions, ResolvedViewerOptions } from './viewer/viewer-options';

export const {
  ConfigurableModuleClass: AuditAdminConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_ADMIN_MODULE_OPTIONS,
} = new ConfigurableModuleBuilder<AuditAdminModuleOptions>({ moduleName: 'AuditAdmin' })
  .setClassMethodName('forRoot')
  // Global by default: the export module's routes inject this plugin's guard and readiness
  // checks, and an app has one admin plugin.
  .setExtras({ isGlobal: true }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** The admin options with defaults filled in, as the admin plugin's providers see them. */
export interface ResolvedAuditAdminOptions extends AuditAdminModuleOptions {
  ui: boolean;
  maxBodyBytes: number;
  sessionTtlHours: number;
  clock: AuditClock;
  tokenSignIn: boolean;
  /** `oidc` checked, with its defaults. */
  resolvedOidc?: ResolvedOidcOptions;
  /** `viewerTokens` checked, with its derived key. */
  viewerTokens: ResolvedViewerTokenOptions;
  /** `viewer` checked, with its defaults. */
  resolvedViewer: ResolvedViewerOptions;
}

/** Options with defaults merged and checked. */
export const AUDIT_ADMIN_RESOLVED_OPTIONS = Symbol('AUDIT_ADMIN_RESOLVED_OPTIONS');

/** Default of `sessionTtlHours`. */
export const DEFAULT_SESSION_TTL_HOURS = 12;

/**
 * The one place the admin plugin's options are defaulted and range-checked (`rateLimit` has its
 * own, `resolveAdminRateLimits`): a bad value stops the start with a message naming the option,
 * rather than failing later on some request.
 */
export function resolveAuditAdminOptions(o: AuditAdminModuleOptions): ResolvedAuditAdminOptions {
  const fail = (message: string) => new Error(`AuditAdminModule: ${message}`);
  if (!o.jwt && !o.resolvePrincipal) {
    throw fail('give options.jwt (standalone) or options.resolvePrincipal (host mode)');
  }
  if (o.resolvePrincipal !== undefined && typeof o.resolvePrincipal !== 'function') {
    throw fail('options.resolvePrincipal must be a function');
  }
  if (o.secret !== undefined && (typeof o.secret !== 'string' || o.secret.length === 0)) {
    throw fail('options.secret must be a non-empty string');
  }
  if (o.ui !== undefined && typeof o.ui !== 'boolean')
    throw fail('options.ui must be true or false');
  const maxBodyBytes = o.maxBodyBytes ?? 64 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024 || maxBodyBytes > 16 * 1024 * 1024) {
    throw fail(
      `options.maxBodyBytes must be a whole number of bytes from 1024 to 16777216 (got ${String(o.maxBodyBytes)})`,
    );
  }
  const sessionTtlHours = o.sessionTtlHours ?? DEFAULT_SESSION_TTL_HOURS;
  if (typeof sessionTtlHours !== 'number' || !(sessionTtlHours > 0) || sessionTtlHours > 24 * 365) {
    throw new Error(invalidSessionTtlMessage(sessionTtlHours));
  }
  if (o.tokenSignIn !== undefined && typeof o.tokenSignIn !== 'boolean') {
    throw fail('options.tokenSignIn must be true or false');
  }
  let resolvedOidc: ResolvedOidcOptions | undefined;
  if (o.oidc !== undefined) {
    if (o.resolvePrincipal)
      throw fail('options.oidc is for standalone mode, not with resolvePrincipal');
    // The sign-in's state cookie is signed with it, and must verify on every instance.
    if (!(o.secret ?? o.jwt?.secret))
      throw fail('options.oidc needs options.secret (or jwt.secret)');
    try {
      resolvedOidc = resolveOidcOptions(o.oidc);
    } catch (err) {
      throw fail((err as Error).message);
    }
  }
  let viewerTokens: ResolvedViewerTokenOptions;
  try {
    viewerTokens = resolveViewerTokenOptions(o.viewerTokens, o.secret ?? o.jwt?.secret);
  } catch (err) {
    throw fail((err as Error).message);
  }
  let resolvedViewer: ResolvedViewerOptions;
  try {
    resolvedViewer = resolveViewerOptions(o.viewer);
  } catch (err) {
    throw fail((err as Error).message);
  }
  return {
    ...o,
    ui: o.ui ?? true,
    maxBodyBytes,
    sessionTtlHours,
    clock: o.clock ?? systemClock,
    tokenSignIn: o.tokenSignIn ?? true,
    resolvedOidc,
    viewerTokens,
    resolvedViewer,
  };
}
