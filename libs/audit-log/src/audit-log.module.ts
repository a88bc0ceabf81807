import {
  DynamicModule,
  Inject,
  Module,
  NestInterceptor,
  OnApplicationShutdown,
  Provider,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ResolvedAuditLogOptions } from './audit-log-options.interface';
import {
  AUDIT_LOG_ASYNC_OPTIONS_TYPE,
  AUDIT_LOG_MODULE_OPTIONS,
  AUDIT_LOG_OPTIONS_TYPE,
  AuditLogConfigurableModule,
  resolveAuditLogOptions,
} from './audit-log.module-definition';
import { AUDIT_DATA_SOURCE, AUDIT_RESOLVED_OPTIONS } from './audit-log.internal-constants';
import { ActionCatalog } from './catalog/action-catalog';
import { IntegrityService } from './integrity/integrity.service';
import { AuditInterceptor } from './recording/audit.interceptor';
import { AuditService } from './recording/audit.service';
import { AUDIT_METRICS_SINK, AuditMetricsSink } from './metrics/audit-metrics-sink';
import { AuditWriter } from './recording/audit-writer';
import { auditDataSourceOptions } from './store/data-source-options';
import { EventStore } from './store/event-store';
import { runAuditLogMigrations } from './store/migration-runner';

const coreProviders: Provider[] = [
  {
    provide: AUDIT_RESOLVED_OPTIONS,
    useFactory: resolveAuditLogOptions,
    inject: [AUDIT_LOG_MODULE_OPTIONS],
  },
  {
    provide: AUDIT_DATA_SOURCE,
    useFactory: async (options: ResolvedAuditLogOptions) => {
      const dataSource =
        options.dataSource ?? new DataSource(auditDataSourceOptions(options.databaseUrl!));
      if (!dataSource.isInitialized) await dataSource.initialize();
      if (options.migrationsRun) await runAuditLogMigrations(dataSource);
      return dataSource;
    },
    inject: [AUDIT_RESOLVED_OPTIONS],
  },
  {
    provide: ActionCatalog,
    useFactory: (o: ResolvedAuditLogOptions) => new ActionCatalog(o.categories, o.actions),
    inject: [AUDIT_RESOLVED_OPTIONS],
  },
  {
    provide: EventStore,
    useFactory: (ds: DataSource, o: ResolvedAuditLogOptions) =>
      new EventStore(ds, o.tamperEvidence),
    inject: [AUDIT_DATA_SOURCE, AUDIT_RESOLVED_OPTIONS],
  },
  {
    provide: AuditWriter,
    useFactory: (store: EventStore, o: ResolvedAuditLogOptions, metrics?: AuditMetricsSink) =>
      new AuditWriter(store, { policy: o.failurePolicy, ...o.writer }, metrics),
    // AuditMetricsModule is global and provides the sink when the app collects metrics.
    inject: [EventStore, AUDIT_RESOLVED_OPTIONS, { token: AUDIT_METRICS_SINK, optional: true }],
  },
  AuditService,
  AuditInterceptor,
  IntegrityService,
];

/**
 * The interceptor, app-wide. Nest runs every global interceptor on every route, even one that
 * only passes the call on (an RxJS pipeline and an async-context binding per request), so it is
 * left out whenever the options say so up front; only a `forRootAsync` factory's `false` still
 * needs this pass-through.
 */
const globalInterceptorProvider: Provider = {
  provide: APP_INTERCEPTOR,
  useFactory: (o: ResolvedAuditLogOptions, interceptor: AuditInterceptor): NestInterceptor =>
    o.globalInterceptor ? interceptor : { intercept: (_ctx, next) => next.handle() },
  inject: [AUDIT_RESOLVED_OPTIONS, AuditInterceptor],
};

function withGlobalInterceptor(module: DynamicModule): DynamicModule {
  return { ...module, providers: [...(module.providers ?? []), globalInterceptorProvider] };
}

/**
 * The audit log. Import it once in the host's root module:
 *
 * ```ts
 * AuditLogModule.forRootAsync({
 *   inject: [DataSource],
 *   useFactory: (dataSource: DataSource) => ({ dataSource }),
 * })
 * ```
 *
 * It records `@Audit()`-decorated handlers (the interceptor is registered app-wide unless
 * `globalInterceptor: false`) and provides `AuditService`.
 */
@Module({
  providers: coreProviders,
  exports: [
    AuditService,
    ActionCatalog,
    EventStore,
    AuditInterceptor,
    IntegrityService,
    AUDIT_DATA_SOURCE,
    AUDIT_RESOLVED_OPTIONS,
  ],
})
export class AuditLogModule extends AuditLogConfigurableModule implements OnApplicationShutdown {
  /** The module; with `globalInterceptor: false` no interceptor is registered app-wide. */
  static forRoot(options: typeof AUDIT_LOG_OPTIONS_TYPE): DynamicModule {
    const module = super.forRoot(options);
    return options.globalInterceptor === false ? module : withGlobalInterceptor(module);
  }

  /**
   * The module with options from a factory. The interceptor is registered before the factory
   * runs; if it answers `globalInterceptor: false`, a pass-through takes its place.
   */
  static forRootAsync(options: typeof AUDIT_LOG_ASYNC_OPTIONS_TYPE): DynamicModule {
    return withGlobalInterceptor(super.forRootAsync(options));
  }

  constructor(
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(AUDIT_RESOLVED_OPTIONS) private readonly options: ResolvedAuditLogOptions,
  ) {
    super();
  }

  async onApplicationShutdown(): Promise<void> {
    // Only a connection the module opened is the module's to close; the writer has flushed by now.
    if (!this.options.dataSource && this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
