import {
  BullModule,
  BullModuleOptions,
  BullRootModuleOptions,
  getQueueToken,
  getSharedConfigToken,
} from '@nestjs/bull';
import { DynamicModule, Logger, Module, Provider } from '@nestjs/common';
import type { Queue } from 'bull';
import { ResolvedAuditExportOptions } from '../export-options.interface';
import { AUDIT_EXPORT_QUEUE, AUDIT_EXPORT_RESOLVED_OPTIONS } from '../export.internal-constants';
import {
  AUDIT_EXPORT_MODULE_OPTIONS,
  ExportQueueRegistration,
  resolveExportOptions,
} from '../export.module-definition';
import { BullExportQueue, ExportJobData } from './bull-export-queue';
import { ExportJobQueue } from './export-job-queue.interface';
import { hostBullConfigMissingMessage } from './export-queue.messages';
import { InProcessExportQueue } from './in-process-export-queue';

/**
 * Holds the module's options, resolved once: `AuditExportModule` and the queue factory that
 * `@nestjs/bull` runs in its own module both import it.
 */
@Module({})
export class AuditExportOptionsModule {}

/**
 * The options `@nestjs/bull` builds the export queue with. `@nestjs/bull` spreads the host's
 * `BullModule.forRoot()` configuration (`shared`) beneath them, one level deep: with
 * `useHostConnection` its connection and prefix stay and only the queue's own settings are added;
 * with `redisUrl` nothing of it may reach the queue (a host's `createClient` or `redis` would
 * connect it elsewhere), so each of its keys is cleared.
 */
export function bullQueueOptions(
  o: ResolvedAuditExportOptions,
  shared: BullRootModuleOptions | undefined,
): BullModuleOptions {
  const q = o.queue;
  const settings = {
    lockDuration: q.lockDurationMs,
    stalledInterval: q.stalledIntervalMs,
    maxStalledCount: q.maxStalledCount,
    retryProcessDelay: 1000,
  };
  if (q.useHostConnection) {
    if (!shared) throw new Error(hostBullConfigMissingMessage(q.useHostConnection));
    return {
      name: q.name,
      ...(q.prefix === undefined ? {} : { prefix: q.prefix }),
      settings: { ...shared.settings, ...settings },
    };
  }
  const notShared = Object.fromEntries(Object.keys(shared ?? {}).map((key) => [key, undefined]));
  return {
    ...notShared,
    name: q.name,
    url: o.redisUrl,
    prefix: q.prefix,
    redis: {
      // Reconnect quickly after a Redis restart instead of Bull's default of up to 20 s.
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    },
    settings,
  };
}

/**
 * Completes the module definition of `forRoot()`/`forRootAsync()` with the export queue: the
 * options (and what the user's async factory needs) move into {@link AuditExportOptionsModule},
 * and with a Bull queue, `BullModule.registerQueueAsync()` creates it from them, so that it is
 * injected as `getQueueToken(name)`. Without one, the in-process queue is used and no Bull queue
 * is created.
 * @param registered the Bull queue to register (known when the module is defined, since its name
 *   is its token), or `false`
 */
export function withExportQueue(
  definition: DynamicModule,
  registered: ExportQueueRegistration | false,
): DynamicModule {
  const optionsModule: DynamicModule = {
    module: AuditExportOptionsModule,
    imports: definition.imports,
    providers: [
      ...(definition.providers ?? []),
      {
        provide: AUDIT_EXPORT_RESOLVED_OPTIONS,
        useFactory: (options: Parameters<typeof resolveExportOptions>[0]) =>
          resolveExportOptions(options, registered),
        inject: [AUDIT_EXPORT_MODULE_OPTIONS],
      },
    ],
    exports: [AUDIT_EXPORT_MODULE_OPTIONS, AUDIT_EXPORT_RESOLVED_OPTIONS],
  };
  const logger = new Logger('AuditExport');
  const queue: Provider = registered
    ? {
        provide: AUDIT_EXPORT_QUEUE,
        useFactory: (o: ResolvedAuditExportOptions, bull: Queue<ExportJobData>): ExportJobQueue =>
          new BullExportQueue(bull, {
            attempts: o.queue.attempts,
            backoffMs: o.queue.backoffMs,
            commandTimeoutMs: o.queue.commandTimeoutMs,
            logger,
          }),
        inject: [AUDIT_EXPORT_RESOLVED_OPTIONS, getQueueToken(registered.name)],
      }
    : {
        provide: AUDIT_EXPORT_QUEUE,
        useFactory: (o: ResolvedAuditExportOptions): ExportJobQueue =>
          new InProcessExportQueue(
            { attempts: o.queue.attempts, backoffMs: o.queue.backoffMs },
            logger,
          ),
        inject: [AUDIT_EXPORT_RESOLVED_OPTIONS],
      };
  const bullQueue = registered
    ? [
        BullModule.registerQueueAsync({
          name: registered.name,
          configKey: registered.configKey,
          imports: [optionsModule],
          useFactory: bullQueueOptions,
          inject: [
            AUDIT_EXPORT_RESOLVED_OPTIONS,
            { token: getSharedConfigToken(registered.configKey), optional: true },
          ],
        }),
      ]
    : [];
  return {
    ...definition,
    imports: [optionsModule, ...bullQueue],
    providers: [queue],
  };
}
