// The public API of the metrics (to become the `@auditkit/nestjs/metrics` entry point, with
// prom-client an optional peer dependency). Only these files may import prom-client.
export { AuditMetricsModule } from './audit-metrics.module';
export type { AuditMetricsModuleOptions } from './audit-metrics-options.interface';
export { AUDIT_METRICS_REGISTRY } from './audit-metrics.constants';
