// `@auditkit/nestjs/metrics`: Prometheus metrics. Needs prom-client (an optional peer). Only this
// folder imports prom-client; the rest of the library reports to AuditMetricsSink.
export { AuditMetricsModule } from './audit-metrics.module';
export type { AuditMetricsModuleOptions } from './audit-metrics-options.interface';
export { AUDIT_METRICS_REGISTRY } from './audit-metrics.constants';
