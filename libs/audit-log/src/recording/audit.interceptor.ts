import {
  CallHandler,
  ExecutionContext,
  Injectable,
  Logger,
  NestInterceptor,
  ServiceUnavailableException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { concatMap, from, map, Observable, catchError, throwError, mergeMap } from 'rxjs';
import { AUDIT_METADATA } from '../audit-log.constants';
import { isBuffered } from '../exceptions/audit-write.exception';
import { AuditSpec } from './audit.decorator';
import { AuditService } from './audit.service';

/**
 * Reads `@Audit()` metadata and records the activity before the response leaves: on success
 * after the handler's value is ready, on failure with outcome `failure` and the handler's error
 * passed on unchanged.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger('AuditLog');

  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const spec = this.reflector.getAllAndOverride<AuditSpec | undefined>(AUDIT_METADATA, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (!spec) return next.handle();
    const req = context.switchToHttp().getRequest<Request>();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (spec.options.recordFailures === false) return throwError(() => error);
        return from(this.recordFailure(spec, req, error)).pipe(
          mergeMap(() => throwError(() => error)),
        );
      }),
      concatMap((result) => from(this.recordSuccess(spec, req, result)).pipe(map(() => result))),
    );
  }

  private async recordSuccess(spec: AuditSpec, req: Request, result: unknown): Promise<void> {
    try {
      await this.audit.recordRequest(spec, req, { result });
    } catch (err) {
      // Fail-open lets the request go on only for an event that waits in the buffer; one that
      // was refused (buffer full, invalid, shut down) would otherwise be lost without a trace.
      if (this.audit.failurePolicy === 'fail-open' && isBuffered(err)) {
        this.logger.warn(`Activity ${spec.action} not yet stored: ${(err as Error).message}`);
        return;
      }
      this.logger.error(
        `Activity ${spec.action} could not be recorded; answering 503: ${(err as Error).message}`,
      );
      throw new ServiceUnavailableException(
        'The activity could not be recorded in the audit log. Try again.',
      );
    }
  }

  private async recordFailure(spec: AuditSpec, req: Request, error: unknown): Promise<void> {
    try {
      await this.audit.recordRequest(spec, req, { error });
    } catch (err) {
      // The client still gets the handler's own error; the lost failure event is logged loudly.
      this.logger.error(
        `Failed activity ${spec.action} could not be recorded: ${(err as Error).message}`,
      );
    }
  }
}
