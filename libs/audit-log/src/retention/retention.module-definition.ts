import { ConfigurableModuleBuilder } from '@nestjs/common';
import { systemClock } from '../common/clock';
import {
  AuditRetentionModuleOptions,
  ResolvedRetentionOptions,
} from './retention-options.interface';

export const {
  ConfigurableModuleClass: AuditRetentionConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_RETENTION_OPTIONS,
} = new ConfigurableModuleBuilder<AuditRetentionModuleOptions>({ moduleName: 'AuditRetention' })
  .setClassMethodName('forRoot')
  .build();

/** Options with defaults merged. */
export const AUDIT_RETENTION_RESOLVED_OPTIONS = Symbol('AUDIT_RETENTION_RESOLVED_OPTIONS');

/**
 * The one place retention options are defaulted and range-checked. A host that passes 0 days
 * would otherwise delete its whole audit log at the next hourly run, so a bad value stops the
 * start, naming the option.
 */
export function resolveRetentionOptions(o: AuditRetentionModuleOptions): ResolvedRetentionOptions {
  const days = o.retentionDays ?? 180;
  if (!Number.isInteger(days) || days < 1 || days > 36_500) {
    throw new Error(
      `AuditRetentionModule: retentionDays must be a whole number from 1 to 36500 (got ${String(o.retentionDays)})`,
    );
  }
  const batchSize = o.batchSize ?? 5000;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) {
    throw new Error(
      `AuditRetentionModule: batchSize must be a whole number from 1 to 100000 (got ${String(o.batchSize)})`,
    );
  }
  if (o.schedule !== undefined && typeof o.schedule !== 'boolean') {
    throw new Error('AuditRetentionModule: schedule must be true or false');
  }
  return {
    retentionDays: days,
    batchSize,
    schedule: o.schedule ?? true,
    clock: o.clock ?? systemClock,
  };
}
