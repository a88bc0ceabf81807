import { ConfigurableModuleBuilder } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { systemClock } from '../common/clock';
import { fileDestination, syslogDestination } from './agent-destination-types';
import { BUILTIN_DESTINATION_TYPES, DestinationTypeDefinition } from './destination-types';
import {
  AuditDestinationsModuleOptions,
  ResolvedDestinationsOptions,
} from './destinations-options.interface';

export const {
  ConfigurableModuleClass: AuditDestinationsConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_DESTINATIONS_OPTIONS,
} = new ConfigurableModuleBuilder<AuditDestinationsModuleOptions>({
  moduleName: 'AuditDestinations',
})
  .setClassMethodName('forRoot')
  .build();

/** Options with defaults merged. */
export const AUDIT_DESTINATIONS_RESOLVED_OPTIONS = Symbol('AUDIT_DESTINATIONS_RESOLVED_OPTIONS');

const fail = (message: string) => new Error(`AuditDestinationsModule: ${message}`);

function whole(
  o: AuditDestinationsModuleOptions,
  name: keyof AuditDestinationsModuleOptions,
  def: number,
  min: number,
  max: number,
): number {
  const value = o[name] ?? def;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw fail(`${name} must be a whole number from ${min} to ${max} (got ${String(o[name])})`);
  return value;
}

/**
 * The one place the destinations options are defaulted and checked. The encryption key is
 * required: without it secrets could only be stored in clear, which the module never does.
 */
export function resolveDestinationsOptions(
  o: AuditDestinationsModuleOptions,
): ResolvedDestinationsOptions {
  const key =
    typeof o.encryptionKey === 'string' ? Buffer.from(o.encryptionKey, 'utf8') : o.encryptionKey;
  if (!Buffer.isBuffer(key) || key.length < 16)
    throw fail('encryptionKey is required: a string or Buffer of at least 16 characters or bytes');
  if (o.enabled !== undefined && typeof o.enabled !== 'boolean')
    throw fail('enabled must be true or false');
  const timeoutMs = whole(o, 'timeoutMs', 10_000, 100, 300_000);
  const leaseMs = whole(o, 'leaseMs', 30_000, 1000, 3_600_000);
  if (leaseMs <= 2 * timeoutMs)
    throw fail(`leaseMs (${leaseMs}) must be more than twice timeoutMs (${timeoutMs})`);
  const backoffMinMs = whole(o, 'backoffMinMs', 1000, 10, 3_600_000);
  const backoffMaxMs = whole(o, 'backoffMaxMs', 300_000, backoffMinMs, 86_400_000);
  if (o.fileDirectory !== undefined && (typeof o.fileDirectory !== 'string' || !o.fileDirectory))
    throw fail('fileDirectory must be a non-empty path');
  const types = new Map<string, DestinationTypeDefinition>();
  const builtin = [
    ...BUILTIN_DESTINATION_TYPES,
    syslogDestination,
    ...(o.fileDirectory ? [fileDestination(o.fileDirectory)] : []),
  ];
  for (const t of [...builtin, ...(o.types ?? [])]) {
    if (!t || typeof t.type !== 'string' || !/^[a-z][a-z0-9_]{0,31}$/.test(t.type))
      throw fail('each of types needs a type of lower-case letters, digits and _ (at most 32)');
    types.set(t.type, t);
  }
  const instanceId =
    o.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  if (typeof instanceId !== 'string' || instanceId.length < 1 || instanceId.length > 128)
    throw fail('instanceId must be 1 to 128 characters');
  return {
    encryptionKey: key,
    enabled: o.enabled ?? true,
    pollIntervalMs: whole(o, 'pollIntervalMs', 200, 10, 60_000),
    batchSize: whole(o, 'batchSize', 500, 1, 10_000),
    backoffMinMs,
    backoffMaxMs,
    pauseAfterFailures: whole(o, 'pauseAfterFailures', 10, 1, 1_000_000),
    pauseAfterMs: whole(o, 'pauseAfterMs', 3_600_000, 1000, 30 * 86_400_000),
    pauseAfterPermanentFailures: whole(o, 'pauseAfterPermanentFailures', 3, 1, 1_000_000),
    timeoutMs,
    leaseMs,
    maxConcurrent: whole(o, 'maxConcurrent', 32, 1, 10_000),
    instanceId,
    apiBase: o.apiBase ?? '/admin/v1',
    types,
    fileDirectory: o.fileDirectory ?? '',
    clock: o.clock ?? systemClock,
  };
}
