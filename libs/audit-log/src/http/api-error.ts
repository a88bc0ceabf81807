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
import type { Request, Response } from 'express';
import { classifyOutage, OUTAGE_RETRY_AFTER_SECONDS, OutageCause, OutageMonitor } from './outage';
import { serviceUnavailableDetail } from './api-error.messages';

/** One error object of docs/api.md section 5. */
export interface ApiErrorObject {
  status: string;
  /** Ours, stable (docs/api.md lists them): `invalid_parameter`, `cursor_conflict`... */
  code: string;
  title: string;
  detail?: string;
  source?: { parameter?: string; pointer?: string; header?: string };
  /** Where Atlassian's organizations API has an error code of the same meaning, that code. */
  meta?: { atlassianCode: string };
}

/**
 * The codes of Atlassian's organizations API (`ApplicationError.code` of admin_organization.json)
 * that AuditKit errors carry in `meta.atlassianCode`. Atlassian puts them in `code`, which is
 * ours and stays as it was; docs/api.md has the mapping.
 */
export const ATLASSIAN_ERROR_CODES = {
  invalidPageCursor: 'ADMIN-400-1',
  invalidTimeDate: 'ADMIN-400-3',
  invalidResource: 'ADMIN-400-4',
  unknownResource: 'ADMIN-404-1',
  eventNotFound: 'ADMIN-404-4',
  methodNotSupported: 'ADMIN-405-1',
  internalError: 'ADMIN-500-1',
} as const;

const DATE_FIELDS = new Set(['from', 'to', '/from', '/to']);

/**
 * The Atlassian code of an error, when their list has one of the same meaning: a bad or
 * conflicting cursor, a bad date, a bad field of a body (their "invalid resource"), a 404, a
 * 405, a 500.
 * Undefined otherwise (e.g. a bad `limit` or `action`: Atlassian has no code for those).
 */
export function atlassianCodeOf(e: ApiErrorObject): string | undefined {
  if (e.meta?.atlassianCode) return e.meta.atlassianCode;
  const where = e.source?.parameter ?? e.source?.pointer;
  switch (e.status) {
    case '400':
      if (e.code === 'cursor_conflict' || where === 'cursor')
        return ATLASSIAN_ERROR_CODES.invalidPageCursor;
      if (where !== undefined && DATE_FIELDS.has(where))
        return ATLASSIAN_ERROR_CODES.invalidTimeDate;
      // A field of the body: the resource being created is not valid.
      if (e.source?.pointer !== undefined) return ATLASSIAN_ERROR_CODES.invalidResource;
      return undefined;
    case '404':
      return ATLASSIAN_ERROR_CODES.unknownResource;
    case '405':
      return ATLASSIAN_ERROR_CODES.methodNotSupported;
    case '500':
      return ATLASSIAN_ERROR_CODES.internalError;
    default:
      return undefined;
  }
}

function withAtlassianCode(e: ApiErrorObject): ApiErrorObject {
  const atlassianCode = atlassianCodeOf(e);
  return atlassianCode ? { ...e, meta: { ...e.meta, atlassianCode } } : e;
}

/**
 * The body of an error answer. A 401 also carries Atlassian's `{ code, message }` (their
 * `ProxyError`, what api.atlassian.com answers without a valid key) beside `errors`.
 */
export function errorBody(status: number, errors: ApiErrorObject[]): Record<string, unknown> {
  const out = errors.map(withAtlassianCode);
  if (status !== 401) return { errors: out };
  return {
    code: 401,
    message: errors[0]?.detail ?? errors[0]?.title ?? 'Unauthorized',
    errors: out,
  };
}

/**
 * 400 for the parameters of a request that conflict with the query its `cursor` continues, one
 * error object per parameter (docs/api.md, "Paging").
 */
export function cursorConflicts(conflicts: { parameter: string; detail: string }[]): ApiException {
  return new ApiException(
    400,
    conflicts.map(({ parameter, detail }) => ({
      status: '400',
      code: 'cursor_conflict',
      title: 'Parameter conflicts with the cursor',
      detail,
      source: { parameter },
    })),
  );
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
 * Answers every error as docs/api.md's JSON: Nest HTTP errors; errors that carry a 4xx `status` or
 * `statusCode` (body-parser's, also from a host's own parser) with that status, and a body that
 * does not decompress (zlib) as a 400, each with a detail of ours that never echoes the parser's
 * text or the body; a database or Redis that cannot be reached (503 with `Retry-After`, one log line per outage
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
    const clientStatus = clientErrorStatus(exception);
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
      // Nest hands a host body parser's SyntaxError on as a 400 with JSON.parse's message,
      // which quotes the body.
      errors =
        status === 400 && JSON_PARSE_MESSAGE.test(message)
          ? invalidBody(NOT_JSON).errors
          : apiError(status, message).errors;
    } else if (clientStatus !== undefined) {
      status = clientStatus;
      errors = clientError(exception, status, host.switchToHttp().getRequest<Request>()).errors;
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
    res
      .status(status)
      .type('application/json')
      .send(JSON.stringify(errorBody(status, errors)));
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

const NOT_JSON = 'The body is not valid JSON';
// V8's JSON.parse messages (body-parser keeps them): they quote the text that failed to parse.
const JSON_PARSE_MESSAGE =
  /\bis not valid JSON$|\bin JSON at position \d+|^Unexpected end of JSON input$/;
const ENCODINGS = ['gzip', 'deflate', 'br'];
// zlib's codes of input that does not decompress, and brotli's (ERR_ + the decoder's error name)
// save the allocation failures, which are ours.
const ZLIB_INPUT_CODE = /^(Z_DATA_ERROR|Z_BUF_ERROR|Z_NEED_DICT|ERR__ERROR_(?!ALLOC)\w+)$/;

interface ClientErrorLike {
  status?: unknown;
  statusCode?: unknown;
  type?: unknown;
  code?: unknown;
  errno?: unknown;
  limit?: unknown;
}

/**
 * The 4xx status of an error that is not an HttpException but says it is the client's: the
 * `status` / `statusCode` of body-parser's and http-errors' errors (also when a host's own parser
 * raised them), or 400 for a body that does not decompress (zlib's own error). Undefined otherwise.
 */
function clientErrorStatus(e: unknown): number | undefined {
  if (!e || typeof e !== 'object') return undefined;
  const x = e as ClientErrorLike;
  for (const status of [x.status, x.statusCode]) {
    if (typeof status === 'number' && Number.isInteger(status) && status >= 400 && status < 500)
      return status;
  }
  return isZlibInputError(x) ? 400 : undefined;
}

function isZlibInputError(x: ClientErrorLike): boolean {
  return typeof x.errno === 'number' && typeof x.code === 'string' && ZLIB_INPUT_CODE.test(x.code);
}

/**
 * A client error in our own words: a parser's message can quote the body (or a host's verify
 * step its internals), so none of its text is echoed.
 */
function clientError(e: unknown, status: number, req: Request | undefined): ApiException {
  const x = e as ClientErrorLike;
  const type = typeof x.type === 'string' ? x.type : '';
  switch (type) {
    case 'entity.too.large': {
      const limit = typeof x.limit === 'number' ? x.limit : undefined;
      return apiError(status, `The body is larger than ${limit ?? 'the limit'} bytes`);
    }
    case 'entity.parse.failed':
      return invalidBody(NOT_JSON, status);
    case 'entity.not.utf8':
      return invalidBody('The body is not valid UTF-8', status);
    case 'encoding.unsupported':
      return apiError(
        status,
        `The Content-Encoding is not supported; send ${ENCODINGS.join(', ')} or identity`,
      );
    case 'charset.unsupported':
      return apiError(status, 'The charset is not supported; send JSON in UTF-8');
    case 'request.aborted':
      return invalidBody('The request ended before its body did', status);
    case 'request.size.invalid':
      return invalidBody('The body is not as long as its Content-Length says', status);
  }
  if (isZlibInputError(x) || (status === 400 && !type && decodedFrom(req))) {
    const encoding = decodedFrom(req);
    return invalidBody(
      encoding
        ? `The body is not valid ${encoding} data (Content-Encoding: ${encoding})`
        : 'The body does not decompress',
      status,
    );
  }
  // Another of body-parser's errors (e.g. a host's verify step refused the body).
  if (/^(entity|request|stream|encoding|charset)\./.test(type))
    return invalidBody('The body could not be read', status);
  return apiError(status, TITLES[status]?.[1] ?? 'The request could not be handled');
}

/** The Content-Encoding a body was sent in, when it is one a parser decompresses. */
function decodedFrom(req: Request | undefined): string | undefined {
  const encoding = String(req?.headers?.['content-encoding'] ?? '')
    .trim()
    .toLowerCase();
  return ENCODINGS.includes(encoding) ? encoding : undefined;
}

/** The body as a whole is wrong (not an object, not JSON...): 400 `invalid_body` unless told. */
export function invalidBody(detail: string, status = 400): ApiException {
  const [code, title] =
    status === 400 ? ['invalid_body', 'Invalid body'] : (TITLES[status] ?? ['error', 'Error']);
  return new ApiException(status, [{ status: String(status), code, title, detail }]);
}
