import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiHeader, ApiQuery, ApiResponse } from './swagger';
import { schemaRef } from './schemas';

/** The security scheme names of the document (see document.ts). */
export const BEARER_SCHEME = 'bearer';
export const SESSION_COOKIE_SCHEME = 'session';

const RETRY_AFTER = {
  'Retry-After': {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 1 },
  },
};

// What each error status means on this API; a route lists only the ones it really answers.
const ERRORS: Record<number, string> = {
  400: 'A parameter, a header or a field of the body is not valid (`source` names it).',
  401: 'No token or session, or one that is not valid (expired, bad signature, `alg: none`).',
  403: 'A valid token without the right for this org, or a cookie write without its CSRF token.',
  404: 'Not found in this organization.',
  405: "Inside a host app that manages sign-in itself: the host's sessions are not ours to manage.",
  409: 'This `Idempotency-Key` was used with another body.',
  410: 'The download link has expired; export again.',
  413: 'The body is larger than 64 KiB (after decompression).',
  415: 'The body is not JSON in UTF-8.',
  422: 'Understood but refused, e.g. an unknown action, or an export for a token without `email`.',
  429: 'Over the rate limit for this user and org.',
  503: 'The database or Redis cannot be reached, or the request could not be recorded.',
};

/** The error answers `statuses` of a route, each `{ errors: [...] }`, with `Retry-After` where sent. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: ERRORS[status] ?? 'Error.',
        schema: schemaRef('ErrorBody'),
        ...(status === 429 || status === 503 ? { headers: RETRY_AFTER } : {}),
      }),
    ),
  );
}

/** A JSON answer of `status` whose body is the schema `name` of schemas.ts. */
export function ApiJson(
  status: number,
  name: string,
  description: string,
  headers?: Record<string, { description: string; schema: Record<string, unknown> }>,
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description,
    schema: schemaRef(name),
    ...(headers ? { headers } : {}),
  });
}

/** Signed in with a bearer token or the web UI's session cookie. */
export function ApiAdminAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiBearerAuth(BEARER_SCHEME), ApiCookieAuth(SESSION_COOKIE_SCHEME));
}

/** The header a cookie-authenticated write needs (bearer-token writes do not). */
export function ApiCsrfHeader(): MethodDecorator & ClassDecorator {
  return ApiHeader({
    name: 'X-CSRF-Token',
    required: false,
    description:
      'With the session cookie only: the value of the `auditkit_csrf` cookie. Not needed with a bearer token.',
  });
}

const FILTERS: [string, string, Record<string, unknown>][] = [
  [
    'q',
    'Exact term: the actor name or e-mail, a target name or e-mail, or the site name; ignoring case, after NFC and trimming.',
    { type: 'string', maxLength: 1024 },
  ],
  ['from', 'Inclusive lower bound: epoch milliseconds or ISO 8601.', { type: 'string' }],
  ['to', 'Inclusive upper bound: epoch milliseconds or ISO 8601.', { type: 'string' }],
  [
    'action',
    'Action ids: the parameter repeated, or a comma list.',
    { type: 'array', items: { type: 'string', maxLength: 128 } },
  ],
  ['category', 'A category id.', { type: 'string', maxLength: 128 }],
  ['actor', 'An actor id.', { type: 'string', maxLength: 255 }],
  ['ip', 'An IPv4 or IPv6 address.', { type: 'string' }],
  ['product', 'A product.', { type: 'string', maxLength: 64 }],
];

/** The filters of GET events as query parameters, with `limit` and `cursor`. */
export function ApiEventListQuery(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...FILTERS.map(([name, description, schema]) =>
      ApiQuery({ name, required: false, description, schema }),
    ),
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Page size.',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description: '`meta.next` of the previous page (bound to the org and the filters).',
      schema: { type: 'string', maxLength: 1024 },
    }),
  );
}
