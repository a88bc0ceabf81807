import { NestFactory } from '@nestjs/core';
import type { RequestHandler } from 'express';
import { AuditLogModuleOptions } from '../audit-log-options.interface';
import { AuditLogModule } from '../audit-log.module';
import { IntegrityService } from '../integrity/integrity.service';
import { auditMiddleware, AuditMiddlewareOptions } from './audit.middleware';
import { AuditService } from './audit.service';

/** The audit log outside a Nest app, for plain Express servers and scripts. */
export interface StandaloneAuditLog {
  service: AuditService;
  /** Checkpoints and verification of the log's chains (docs/integrity.md). */
  integrity: IntegrityService;
  /** `auditMiddleware(service, action, options)`. */
  middleware(action: string, options?: AuditMiddlewareOptions): RequestHandler;
  /** Flushes pending events and closes the connection the log opened. */
  close(): Promise<void>;
}

/** Starts the audit log without a Nest app of the host's own (a Nest application context). */
export async function createAuditLog(options: AuditLogModuleOptions): Promise<StandaloneAuditLog> {
  const context = await NestFactory.createApplicationContext(
    AuditLogModule.forRoot({ ...options, globalInterceptor: false }),
    { logger: ['error', 'warn'] },
  );
  const service = context.get(AuditService);
  return {
    service,
    integrity: context.get(IntegrityService),
    middleware: (action, o) => auditMiddleware(service, action, o),
    close: () => context.close(),
  };
}
