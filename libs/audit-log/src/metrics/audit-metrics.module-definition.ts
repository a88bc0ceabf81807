import { ConfigurableModuleBuilder } from '@nestjs/common';
import {
  AuditMetricsModuleOptions,
  ResolvedAuditMetricsOptions,
} from './audit-metrics-options.interface';

export const {
  ConfigurableModuleClass: AuditMetricsConfigurableModule,
  MODULE_OPTIONS_TOKEN: AUDIT_METRICS_OPTIONS,
} = new ConfigurableModuleBuilder<AuditMetricsModuleOptions>({ moduleName: 'AuditMetrics' })
  .setClassMethodName('forRoot')
  // The sink must reach the audit modules wherever they are imported, so this module is global.
  .setExtras({}, (definition) => ({ ...definition, global: true }))
  .build();

/** Options with defaults merged. */
export const AUDIT_METRICS_RESOLVED_OPTIONS = Symbol('AUDIT_METRICS_RESOLVED_OPTIONS');

const METRIC_PREFIX = /^([a-zA-Z_:][a-zA-Z0-9_:]*)?$/;
const MIN_TOKEN_LENGTH = 16;

/** The one place metrics options are defaulted and checked; a bad one stops the start, named. */
export function resolveMetricsOptions(o: AuditMetricsModuleOptions): ResolvedAuditMetricsOptions {
  const fail = (message: string): never => {
    throw new Error(`AuditMetricsModule: ${message}`);
  };
  const prefix = o.prefix ?? 'auditkit_';
  if (typeof prefix !== 'string' || !METRIC_PREFIX.test(prefix)) {
    fail(`prefix must be letters, digits, _ and : not starting with a digit (got "${prefix}")`);
  }
  const path = o.path ?? '/metrics';
  if (path !== false && (typeof path !== 'string' || !/^\/[^?#\s]*$/.test(path))) {
    fail(`path must start with / and hold no query, or be false (got "${String(path)}")`);
  }
  if (o.port !== undefined && !(Number.isInteger(o.port) && o.port >= 0 && o.port <= 65535)) {
    fail(`port must be a whole number from 0 to 65535 (got ${String(o.port)})`);
  }
  if (o.port !== undefined && path === false) fail('port needs a path to serve');
  if (o.token !== undefined && (typeof o.token !== 'string' || o.token.length < MIN_TOKEN_LENGTH)) {
    fail(`token must be at least ${MIN_TOKEN_LENGTH} characters`);
  }
  const collectTimeoutMs = o.collectTimeoutMs ?? 1000;
  if (!Number.isInteger(collectTimeoutMs) || collectTimeoutMs < 1 || collectTimeoutMs > 60_000) {
    fail(
      `collectTimeoutMs must be a whole number from 1 to 60000 (got ${String(collectTimeoutMs)})`,
    );
  }
  if (o.registry !== undefined && typeof o.registry?.registerMetric !== 'function') {
    fail('registry must be a prom-client Registry');
  }
  return {
    registry: o.registry,
    prefix,
    defaultMetrics: o.defaultMetrics ?? false,
    path,
    port: o.port,
    host: o.host,
    token: o.token,
    collectTimeoutMs,
  };
}

/** The `AuditMetrics` instance (its class is loaded only when the module is used). */
export const AUDIT_METRICS = Symbol('AUDIT_METRICS');
