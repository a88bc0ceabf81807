import { ConfigurableModuleBuilder } from '@nestjs/common';
import { resolveRateLimit } from '../http/rate-limit';
import { systemClock } from '../common/clock';
import { AuditExportModuleOptions, ResolvedAuditExportOptions } from './export-options.interface';
import { invalidExportOptionMessage } from './export.messages';

export const {
  ConfigurableModuleClass: AuditExportConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_EXPORT_MODULE_OPTIONS,
  OPTIONS_TYPE: AUDIT_EXPORT_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: AUDIT_EXPORT_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<AuditExportModuleOptions>({ moduleName: 'AuditExport' })
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
  }))
  .build();

function url(name: string, value: string | undefined, protocols: string[]): string | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(invalidExportOptionMessage(name, 'is not a valid URL'));
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new Error(
      invalidExportOptionMessage(
        name,
        `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`,
      ),
    );
  }
  return value;
}

function positiveInt(name: string, value: number | undefined, def: number, min = 1): number {
  if (value === undefined) return def;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new Error(invalidExportOptionMessage(name, `must be a whole number of at least ${min}`));
  }
  return value;
}

/** Name of the export queue when `queue.name` (or `forRootAsync`'s `bullQueue`) is unset. */
export const DEFAULT_EXPORT_QUEUE_NAME = 'auditkit-exports';

/** The Bull queue `AuditExportModule` registers with `@nestjs/bull`, decided when it is defined. */
export interface ExportQueueRegistration {
  /** Its name, and so its token: `getQueueToken(name)`. */
  name: string;
  /** The host's `BullModule.forRoot(configKey, ...)` it shares; unset: the default one, if any. */
  configKey?: string;
}

/** What `forRoot()` registers for these options: a Bull queue, or `false` for the in-process one. */
export function exportQueueRegistration(
  options: AuditExportModuleOptions,
): ExportQueueRegistration | false {
  const host = options.queue?.useHostConnection;
  if (!options.redisUrl && !host) return false;
  return {
    name: options.queue?.name ?? DEFAULT_EXPORT_QUEUE_NAME,
    configKey: typeof host === 'string' ? host : undefined,
  };
}

/**
 * The one place defaults are merged and options checked; a bad option fails the start.
 * @param registered the queue the module registered when it was defined (`forRootAsync()` does
 *   before these options exist): they must agree. @default what `forRoot()` registers for them
 */
export function resolveExportOptions(
  options: AuditExportModuleOptions,
  registered: ExportQueueRegistration | false = exportQueueRegistration(options),
): ResolvedAuditExportOptions {
  const publicUrl = url('publicUrl', options.publicUrl, ['http:', 'https:']);
  if (!publicUrl) throw new Error(invalidExportOptionMessage('publicUrl', 'is required'));
  if (typeof options.linkSecret !== 'string' || options.linkSecret.length < 16) {
    throw new Error(
      invalidExportOptionMessage(
        'linkSecret',
        'is required (at least 16 characters; 32 random ones advised)',
      ),
    );
  }
  const redisUrl = url('redisUrl', options.redisUrl, ['redis:', 'rediss:']);
  const smtpUrl = url('smtpUrl', options.smtpUrl, ['smtp:', 'smtps:']);
  const q = options.queue ?? {};
  const useHostConnection = q.useHostConnection ?? false;
  if (
    typeof useHostConnection !== 'boolean' &&
    !(typeof useHostConnection === 'string' && useHostConnection)
  ) {
    throw new Error(
      invalidExportOptionMessage(
        'queue.useHostConnection',
        'must be true, false or the configKey of a BullModule.forRoot()',
      ),
    );
  }
  if (redisUrl && useHostConnection) {
    throw new Error(
      invalidExportOptionMessage(
        'queue.useHostConnection',
        "and redisUrl exclude each other: the queue connects to one Redis (the host's or its own)",
      ),
    );
  }
  // forRootAsync() registers the Bull queue (or not) before these options exist: they must agree.
  const bull = Boolean(redisUrl || useHostConnection);
  if (registered && !bull) {
    throw new Error(
      invalidExportOptionMessage(
        'redisUrl',
        'or queue.useHostConnection is required: forRootAsync() registered a Bull queue ' +
          '(pass it bullQueue: false for the in-process queue)',
      ),
    );
  }
  if (!registered && bull) {
    throw new Error(
      invalidExportOptionMessage(
        redisUrl ? 'redisUrl' : 'queue.useHostConnection',
        'must be unset: forRootAsync() was given bullQueue: false (the in-process queue)',
      ),
    );
  }
  if (registered && q.name !== undefined && q.name !== registered.name) {
    throw new Error(
      invalidExportOptionMessage(
        'queue.name',
        `must be unset or '${registered.name}', the name forRootAsync() registered (bullQueue.name)`,
      ),
    );
  }
  const configKey = typeof useHostConnection === 'string' ? useHostConnection : undefined;
  if (registered && configKey !== registered.configKey) {
    throw new Error(
      invalidExportOptionMessage(
        'queue.useHostConnection',
        `must match the configKey forRootAsync() registered (bullQueue.configKey: ${registered.configKey ?? 'unset'})`,
      ),
    );
  }
  const worker = options.worker ?? true;
  if (!worker && !bull) {
    throw new Error(
      invalidExportOptionMessage(
        'worker',
        'false needs redisUrl or queue.useHostConnection: without Redis, exports run in the ' +
          'process that queued them',
      ),
    );
  }
  const linkTtlHours = options.linkTtlHours ?? 24;
  if (!(typeof linkTtlHours === 'number' && linkTtlHours > 0 && linkTtlHours <= 24 * 365)) {
    throw new Error(
      invalidExportOptionMessage(
        'linkTtlHours',
        'must be a positive number of hours, at most 8760',
      ),
    );
  }
  const rateLimit = options.rateLimit ?? {};
  return {
    redisUrl,
    worker,
    concurrency: positiveInt('concurrency', options.concurrency, 2),
    storageDir: options.storageDir ?? './data/exports',
    storage: options.storage,
    outboxDir: options.outboxDir ?? './data/outbox',
    smtpUrl,
    mailFrom: options.mailFrom ?? 'AuditKit <no-reply@localhost>',
    publicUrl: publicUrl.replace(/\/+$/, ''),
    linkTtlHours,
    maxRows: positiveInt('maxRows', options.maxRows, 10_000),
    linkSecret: options.linkSecret,
    clock: options.clock ?? systemClock,
    cleanup: options.cleanup ?? true,
    queue: {
      name: registered ? registered.name : (q.name ?? DEFAULT_EXPORT_QUEUE_NAME),
      // On the host's connection, its BullModule.forRoot() prefix applies unless one is given.
      prefix: useHostConnection ? q.prefix : (q.prefix ?? 'bull'),
      useHostConnection,
      attempts: positiveInt('queue.attempts', q.attempts, 3),
      backoffMs: positiveInt('queue.backoffMs', q.backoffMs, 5000, 0),
      lockDurationMs: positiveInt('queue.lockDurationMs', q.lockDurationMs, 30_000),
      stalledIntervalMs: positiveInt('queue.stalledIntervalMs', q.stalledIntervalMs, 30_000),
      maxStalledCount: positiveInt('queue.maxStalledCount', q.maxStalledCount, 1, 0),
      recoveryIntervalMs: positiveInt('queue.recoveryIntervalMs', q.recoveryIntervalMs, 60_000, 0),
      recoveryGraceMs: positiveInt('queue.recoveryGraceMs', q.recoveryGraceMs, 60_000, 0),
      mailClaimTimeoutMs: positiveInt(
        'queue.mailClaimTimeoutMs',
        q.mailClaimTimeoutMs,
        15 * 60_000,
      ),
      commandTimeoutMs: positiveInt('queue.commandTimeoutMs', q.commandTimeoutMs, 3000),
    },
    rateLimit: {
      exports: resolveRateLimit(
        rateLimit.exports,
        'exports',
        (problem) => new Error(invalidExportOptionMessage('rateLimit.exports', problem)),
      ),
      downloads: resolveRateLimit(
        rateLimit.downloads,
        'downloads',
        (problem) => new Error(invalidExportOptionMessage('rateLimit.downloads', problem)),
      ),
      storage: rateLimit.storage,
    },
  };
}
