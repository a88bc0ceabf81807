import {
  Inject,
  MiddlewareConsumer,
  Module,
  NestModule,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  RequestMethod,
} from '@nestjs/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AuditMetrics } from './audit-metrics';
import type { ResolvedAuditMetricsOptions } from './audit-metrics-options.interface';
import { AUDIT_METRICS_SINK } from './audit-metrics-sink';
import { AUDIT_METRICS_REGISTRY } from './audit-metrics.constants';
import {
  AUDIT_METRICS,
  AUDIT_METRICS_OPTIONS,
  AUDIT_METRICS_RESOLVED_OPTIONS,
  AuditMetricsConfigurableModule,
  resolveMetricsOptions,
} from './audit-metrics.module-definition';
import { closeServer, listenForMetrics, metricsHandler } from './metrics-http';

/**
 * Prometheus metrics of the audit log (README "Metrics"): events recorded, write batches and
 * their latency, the fail-open buffer, write failures, exports, purges, verifications and
 * checkpoints. Opt-in; import it once, beside `AuditLogModule`:
 *
 * ```ts
 * AuditMetricsModule.forRoot({ registry: myRegistry, path: false })
 * ```
 *
 * It is global, so the audit modules report to it wherever they are imported. Without it they
 * report to a sink that does nothing, and prom-client is never loaded.
 */
@Module({
  providers: [
    {
      provide: AUDIT_METRICS_RESOLVED_OPTIONS,
      useFactory: resolveMetricsOptions,
      inject: [AUDIT_METRICS_OPTIONS],
    },
    {
      provide: AUDIT_METRICS,
      // Loaded here, not at import: importing the library must not load prom-client.
      useFactory: async (options: ResolvedAuditMetricsOptions): Promise<AuditMetrics> =>
        new (await import('./audit-metrics')).AuditMetrics(options),
      inject: [AUDIT_METRICS_RESOLVED_OPTIONS],
    },
    { provide: AUDIT_METRICS_SINK, useExisting: AUDIT_METRICS },
    {
      provide: AUDIT_METRICS_REGISTRY,
      useFactory: (metrics: AuditMetrics) => metrics.registry,
      inject: [AUDIT_METRICS],
    },
  ],
  exports: [AUDIT_METRICS_SINK, AUDIT_METRICS_REGISTRY],
})
export class AuditMetricsModule
  extends AuditMetricsConfigurableModule
  implements NestModule, OnApplicationBootstrap, OnApplicationShutdown
{
  private server?: Server;

  constructor(
    @Inject(AUDIT_METRICS) private readonly metrics: AuditMetrics,
    @Inject(AUDIT_METRICS_RESOLVED_OPTIONS) private readonly options: ResolvedAuditMetricsOptions,
  ) {
    super();
  }

  /** Serves the metrics on the app's own HTTP server, ahead of its guards and interceptors. */
  configure(consumer: MiddlewareConsumer): void {
    const { path, port, token } = this.options;
    if (path === false || port !== undefined) return;
    const handler = metricsHandler(this.metrics.registry, token);
    // A middleware that answers: no guard, rate limit or audit interceptor ever sees the request.
    consumer
      .apply((req: IncomingMessage, res: ServerResponse) => void handler(req, res))
      .forRoutes({ path, method: RequestMethod.GET });
  }

  async onApplicationBootstrap(): Promise<void> {
    const { path, port, host, token } = this.options;
    if (path === false || port === undefined) return;
    this.server = await listenForMetrics(
      metricsHandler(this.metrics.registry, token),
      path,
      port,
      host,
    );
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.server) await closeServer(this.server);
    this.server = undefined;
    this.metrics.unregister();
  }
}
