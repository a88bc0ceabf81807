/**
 * Injection token of the prom-client `Registry` the metrics are in (the host's, or the module's
 * own): `@Inject(AUDIT_METRICS_REGISTRY) registry: Registry`.
 */
export const AUDIT_METRICS_REGISTRY = Symbol('AUDIT_METRICS_REGISTRY');
