import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  Optional,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Response } from 'express';
import { classifyOutage, OUTAGE_RETRY_AFTER_SECONDS, OutageCause, OutageMonitor } from './outage';
import { serviceUnavailableDetail } from './api-error.messages';

/** One error object of API.md section 5. */
export interface ApiErrorObject {
  status: string;
  code: string;
  title: string;
  detail?: string;
  source?: { parameter?: string; pointer?: string; header?: string };
}

/** An error answered as `{ errors: [...] }`. */
export class ApiException extends HttpException {
  constructor(
    status: number,
    readonly errors: ApiErrorObject[],
    readonly headers: Record<string, string> = {},
  ) {
    super({ errors }, status);
  }
}

const TITLES: Record<number, [string, string]> = {
  400: ['invalid_request', 'Invalid request'],
  401: ['unauthorized', 'Authentication required'],
  403: ['forbidden', 'Not allowed'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  410: ['gone', 'Gone'],
  413: ['payload_too_large', 'Request body too large'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  422: ['unprocessable_entity', 'Unprocessable entity'],
  429: ['too_many_requests', 'Too many requests'],
  503: ['service_unavailable', 'Service unavailable'],
};

/** 400 for one bad query parameter. */
export function invalidParameter(parameter: string, detail: string): ApiException {
  return new ApiException(400, [
    {
      status: '400',
      code: 'invalid_parameter',
      title: 'Invalid parameter',
      detail: `${parameter} ${detail}`,
      source: { parameter },
    },
  ]);
}

/** 400 (or another status) for one bad field of a JSON body, named by a JSON pointer. */
export function invalidField(
  pointer: string,
  detail: string,
  status = 400,
  code = 'invalid_field',
): ApiException {
  const field = pointer.replace(/^\//, '').replace(/\//g, '.');
  return new ApiException(status, [
    {
      status: String(status),
      code,
      title: status === 422 ? 'Unprocessable entity' : 'Invalid field',
      detail: `${field} ${detail}`,
      source: { pointer },
    },
  ]);
}

/** An error of one status with the default code and title. */
export function apiError(status: number, detail: string, code?: string): ApiException {
  const [defaultCode, title] = TITLES[status] ?? ['error', 'Error'];
  return new ApiException(status, [
    { status: String(status), code: code ?? defaultCode, title, detail },
  ]);
}

/**
 * Answers every error as API.md's JSON: Nest HTTP errors, body-parser errors (400, 413, 415),
 * a database or Redis that cannot be reached (503 with `Retry-After`, one log line per outage
 * rather than one per request) and anything else unexpected, which becomes a 500 without
 * details (logged, never echoed). Every 503 carries `Retry-After`.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('AuditLog');
  private outages?: OutageMonitor;

  /** `moduleRef` finds the admin plugin's OutageMonitor; without it (`new`) the filter keeps its own. */
  constructor(@Optional() private readonly moduleRef?: ModuleRef) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    if (res.headersSent) return;
    let status: number;
    let errors: ApiErrorObject[];
    let headers: Record<string, string> = {};
    let outage: OutageCause | null = null;
    if (exception instanceof ApiException) {
      status = exception.getStatus();
      errors = exception.errors;
      headers = exception.headers;
    } else if (exception instanceof HttpException) {
      status = exception.getStatus();
      const body = exception.getResponse();
      const message =
        typeof body === 'string'
          ? body
          : Array.isArray((body as { message?: unknown }).message)
            ? (body as { message: string[] }).message.join('; ')
            : String((body as { message?: unknown }).message ?? exception.message);
      errors = apiError(status, message).errors;
    } else if (isBodyParserError(exception)) {
      status = exception.status;
      const detail =
        exception.type === 'entity.too.large'
          ? `The body is larger than ${exception.limit ?? 'the limit'} bytes`
          : exception.type === 'entity.parse.failed'
            ? 'The body is not valid JSON'
            : exception.message;
      errors = apiError(status, detail).errors;
    } else {
      outage = classifyOutage(exception);
      if (outage) {
        this.monitor().report(outage);
        status = HttpStatus.SERVICE_UNAVAILABLE;
        errors = apiError(status, serviceUnavailableDetail(OUTAGE_RETRY_AFTER_SECONDS)).errors;
        headers['Retry-After'] = String(OUTAGE_RETRY_AFTER_SECONDS);
      } else {
        status = HttpStatus.INTERNAL_SERVER_ERROR;
        this.logger.error(
          exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
        );
        errors = [
          {
            status: '500',
            code: 'internal_error',
            title: 'Internal error',
            detail: 'Something went wrong on our side.',
          },
        ];
      }
    }
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (status === HttpStatus.SERVICE_UNAVAILABLE && !outage) {
      this.monitor().countRefused();
      if (!res.getHeader('Retry-After')) {
        res.setHeader('Retry-After', String(OUTAGE_RETRY_AFTER_SECONDS));
      }
    }
    res.status(status).type('application/json').send(JSON.stringify({ errors }));
  }

  private monitor(): OutageMonitor {
    if (!this.outages) {
      try {
        this.outages = this.moduleRef?.get(OutageMonitor, { strict: false });
      } catch {
        // Not in an app with the admin plugin: this filter's own monitor.
      }
      this.outages ??= new OutageMonitor();
    }
    return this.outages;
  }
}

function isBodyParserError(
  e: unknown,
): e is { status: number; type: string; message: string; limit?: number } {
  const x = e as { status?: unknown; type?: unknown };
  return (
    typeof x?.status === 'number' && x.status >= 400 && x.status < 500 && typeof x.type === 'string'
  );
}
