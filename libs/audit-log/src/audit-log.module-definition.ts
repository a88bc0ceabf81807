import { ConfigurableModuleBuilder } from '@nestjs/common';
import { AuditLogModuleOptions, ResolvedAuditLogOptions } from './audit-log-options.interface';
import type { Request } from 'express';
import { systemClock } from './common/clock';
import type { AuditActor } from './event/audit-event.interface';
import { resolveIntegrityOptions } from './integrity/integrity-options.interface';

export const {
  ConfigurableModuleClass: AuditLogConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_LOG_MODULE_OPTIONS,
  OPTIONS_TYPE: AUDIT_LOG_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_LOG_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditLogModuleOptions>({ moduleName: 'AuditLog' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

/** The one place defaults are merged. */
export function resolveAuditLogOptions(options: AuditLogModuleOptions): ResolvedAuditLogOptions {
  if (!options.dataSource && !options.databaseUrl) {
    throw new Error("AuditLogModule: give options.dataSource (the host's) or options.databaseUrl");
  }
  if (options.failurePolicy && !['fail-closed', 'fail-open'].includes(options.failurePolicy)) {
    throw new Error(`AuditLogModule: failurePolicy must be "fail-closed" or "fail-open"`);
  }
  for (const key of ['maxBatchSize', 'maxBufferSize', 'concurrency'] as const) {
    const value = options.writer?.[key];
    if (value !== undefined && !(Number.isInteger(value) && value >= 1)) {
      throw new Error(`AuditLogModule: writer.${key} must be a whole number of at least 1`);
    }
  }
  const location = options.location ?? {};
  if (typeof location !== 'object' || location === null) {
    throw new Error('AuditLogModule: location must be an object ({ resolve })');
  }
  if (location.resolve !== undefined && typeof location.resolve !== 'function') {
    throw new Error('AuditLogModule: location.resolve must be a function (ip) => location');
  }
  return {
    ...options,
    location: { resolve: location.resolve },
    migrationsRun: options.migrationsRun ?? true,
    failurePolicy: options.failurePolicy ?? 'fail-closed',
    writer: {
      maxBatchSize: options.writer?.maxBatchSize ?? 500,
      maxBufferSize: options.writer?.maxBufferSize ?? 10_000,
      concurrency: options.writer?.concurrency ?? 2,
      retryBaseMs: options.writer?.retryBaseMs ?? 200,
      retryMaxMs: options.writer?.retryMaxMs ?? 30_000,
      shutdownTimeoutMs: options.writer?.shutdownTimeoutMs ?? 10_000,
    },
    redactKeys: options.redactKeys ?? [],
    categories: options.categories ?? [],
    actions: options.actions ?? [],
    resolveActor: options.resolveActor ?? defaultActor,
    resolveOrgId: options.resolveOrgId ?? defaultOrgId,
    globalInterceptor: options.globalInterceptor ?? true,
    tamperEvidence: options.tamperEvidence ?? true,
    integrity: resolveIntegrityOptions(options.integrity),
    clock: options.clock ?? systemClock,
  };
}

function defaultActor(req: Request): AuditActor | undefined {
  const u = (req as Request & { user?: any }).user;
  if (!u || typeof u !== 'object') return undefined;
  const id = u.id ?? u.sub;
  if (id === undefined || id === null) return undefined;
  return { id: String(id), type: u.type ?? 'user', name: u.name, email: u.email };
}

function defaultOrgId(req: Request): string | undefined {
  const fromPath = req.params?.orgId;
  if (typeof fromPath === 'string') return fromPath;
  const user = (req as Request & { user?: any }).user;
  return typeof user?.orgId === 'string' ? user.orgId : undefined;
}
