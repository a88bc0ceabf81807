import { Inject, Injectable, NestMiddleware } from '@nestjs/common';
import { json, NextFunction, raw, Request, RequestHandler, Response } from 'express';
import { isUtf8 } from 'node:buffer';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from './audit-admin.module-definition';
import { apiError, ApiException } from '../http/api-error';
import { findTooDeep, MAX_BODY_DEPTH } from '../http/json-depth';
import { tooDeepError } from '../http/validate-dto';
import { BULK_MAX_EVENTS } from './ingest.service';
import { BulkAdmission } from './bulk-admission';

/**
 * Parses JSON bodies with a limit: a larger body is a 413 before anything reads it, decompressed
 * or not. Only JSON in UTF-8 is read (another charset or media type is a 415, bytes that are not
 * UTF-8 a 400); a body that does not decompress or parse is a 400 that echoes none of it; a body
 * nested deeper than `depth` is a 400 naming where. A body the host already parsed is checked by
 * its length and its depth.
 */
abstract class JsonBodyLimit implements NestMiddleware {
  private readonly parser: RequestHandler;

  /**
   * With `admission`, the body is read as bytes, then waits for a turn, and only then is parsed
   * (see bulk-admission.ts): a request that waits holds a buffer, not a thousand objects.
   */
  protected constructor(
    private readonly limit: number,
    private readonly depth: number,
    private readonly admission?: BulkAdmission,
  ) {
    // Every body is JSON here: one sent without a Content-Type is read as JSON, not ignored.
    const options = { limit, type: () => true, verify: requireUtf8 };
    this.parser = admission ? raw(options) : json({ ...options, strict: true });
  }

  use(req: Request, res: Response, next: NextFunction): void {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > this.limit)
      return next(apiError(413, `The body is larger than ${this.limit} bytes`));
    if (!req.readableEnded) {
      const refused = refuseMediaType(req);
      if (refused) return next(refused);
    }
    this.parser(req, res, (err?: unknown) => {
      if (err) return next(readError(err, req, this.limit));
      if (!this.admission) return this.checked(req, next);
      this.admission.enter(res).then(
        (admitted) => {
          if (!admitted) return;
          if (Buffer.isBuffer(req.body)) {
            const parsed = parseStrictJson(req.body);
            if (parsed instanceof ApiException) return next(parsed);
            req.body = parsed;
          }
          this.checked(req, next);
        },
        (refused: unknown) => next(refused),
      );
    });
  }

  private checked(req: Request, next: NextFunction): void {
    const deep = findTooDeep(req.body, this.depth);
    if (deep) return next(tooDeepError(deep, 'pointer'));
    next();
  }
}

/**
 * What body-parser's `json({ strict: true })` makes of bytes already read and checked as UTF-8:
 * an object or an array, else the 400 it would have given (which echoes none of the body).
 */
function parseStrictJson(body: Buffer): unknown {
  const text = body.toString('utf8');
  // As body-parser: no body is an empty object.
  if (text.length === 0) return {};
  // JSON's whitespace is space, tab, LF and CR.
  const first = /^[ \t\n\r]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') return invalidBody('The body is not valid JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return invalidBody('The body is not valid JSON');
  }
}

/** The admin API's JSON bodies: `maxBodyBytes` (64 KiB by default), `MAX_BODY_DEPTH` levels. */
@Injectable()
export class BodyLimitMiddleware extends JsonBodyLimit {
  constructor(@Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) options: ResolvedAuditAdminOptions) {
    super(options.maxBodyBytes, MAX_BODY_DEPTH);
  }
}

/**
 * The most a bulk body may be, whatever `maxBodyBytes` allows per event. The body is read before
 * the token is checked, so this bounds what an anonymous client can make the server hold; and
 * the batch goes to the database as one write, which MariaDB's default `max_allowed_packet`
 * (16 MiB) must fit, rows and search terms included: a bulk the database can never take would
 * otherwise answer 503, as if a retry could help.
 */
export const BULK_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The body of POST events/bulk: room for `BULK_MAX_EVENTS` events as large as POST events takes
 * (`maxBodyBytes` each) and the commas and wrapper around them, up to `BULK_MAX_BODY_BYTES`, two
 * levels deeper (`events`, the index) than a single event may be. Each item is then held to the
 * single event's limits.
 */
@Injectable()
export class BulkBodyLimitMiddleware extends JsonBodyLimit {
  constructor(@Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) options: ResolvedAuditAdminOptions) {
    super(
      Math.min(BULK_MAX_EVENTS * (options.maxBodyBytes + 1) + 64, BULK_MAX_BODY_BYTES),
      MAX_BODY_DEPTH + 2,
      new BulkAdmission(),
    );
  }
}

const JSON_MEDIA_TYPE = /^application\/(json|[a-z0-9.!#$&^_-]+\+json)$/;
const UTF8 = /^utf-?8$/;
const ENCODINGS = ['gzip', 'deflate', 'br'];

// JSON travels as UTF-8 (RFC 8259); decoding other bytes would store U+FFFD, not what was sent.
function requireUtf8(_req: unknown, _res: unknown, buf: Buffer): void {
  if (!isUtf8(buf)) throw Object.assign(new Error('not UTF-8'), { type: 'entity.not.utf8' });
}

/** A 415 for a body that is not JSON in UTF-8; undefined when it is, or when there is none. */
function refuseMediaType(req: Request): ApiException | undefined {
  const hasContent =
    req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
  const header = req.headers['content-type'];
  if (!hasContent || header === undefined) return undefined;
  const [media, ...params] = header.split(';');
  if (!JSON_MEDIA_TYPE.test(media.trim().toLowerCase())) {
    return unsupported('Content-Type', 'The body must be JSON, sent as application/json');
  }
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (!UTF8.test(charset)) {
      return unsupported(
        'Content-Type',
        `The charset ${quoted(charset)} is not supported; send JSON in UTF-8`,
      );
    }
  }
  return undefined;
}

/**
 * body-parser's and zlib's errors as API errors with details of our own: their messages can
 * quote the body (a JSON parser's "Unexpected token ... in ...") and must never be echoed.
 */
function readError(err: unknown, req: Request, limit: number): unknown {
  const e = err as { status?: unknown; type?: unknown; encoding?: unknown; charset?: unknown };
  switch (e?.type) {
    case 'entity.too.large':
      return apiError(413, `The body is larger than ${limit} bytes`);
    case 'encoding.unsupported':
      return unsupported(
        'Content-Encoding',
        `The Content-Encoding ${quoted(e.encoding)} is not supported; send ${ENCODINGS.join(', ')} or identity`,
      );
    case 'charset.unsupported':
      return unsupported(
        'Content-Type',
        `The charset ${quoted(e.charset)} is not supported; send JSON in UTF-8`,
      );
    case 'entity.not.utf8':
      return invalidBody('The body is not valid UTF-8');
    case 'entity.parse.failed':
      return invalidBody('The body is not valid JSON');
    case 'request.aborted':
      return invalidBody('The request ended before its body did');
    case 'request.size.invalid':
      return invalidBody('The body is not as long as its Content-Length says');
  }
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
    // What is left is a body that does not decompress: zlib's and brotli's own errors.
    const encoding = String(req.headers['content-encoding'] ?? '')
      .trim()
      .toLowerCase();
    return invalidBody(
      ENCODINGS.includes(encoding)
        ? `The body is not valid ${encoding} data (Content-Encoding: ${encoding})`
        : 'The body could not be read',
    );
  }
  return err;
}

function invalidBody(detail: string): ApiException {
  return new ApiException(400, [
    { status: '400', code: 'invalid_body', title: 'Invalid body', detail },
  ]);
}

function unsupported(header: string, detail: string): ApiException {
  return new ApiException(415, [
    {
      status: '415',
      code: 'unsupported_media_type',
      title: 'Unsupported media type',
      detail,
      source: { header },
    },
  ]);
}

/** A header value quoted for a message, when it is a plain token; it is the client's own text. */
function quoted(value: unknown): string {
  const s = typeof value === 'string' ? value.toLowerCase() : '';
  return /^[a-z0-9._:+-]{1,40}$/.test(s) ? `"${s}"` : '(this one)';
}
