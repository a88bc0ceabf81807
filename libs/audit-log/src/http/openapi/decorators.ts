import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiHeader, ApiQuery, ApiResponse } from './swagger';
import { CURSOR_MAX_LENGTH } from '../../query/cursor';
import { MAX_FILTER_VALUES } from '../../query/event-filters';
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
  400: 'A parameter, a header or a field of the body is not valid, or a parameter conflicts with the query of `cursor` (`source` names it).',
  401: "No token or session, or one that is not valid (expired, bad signature, `alg: none`). Also carries Atlassian's `{ code, message }`.",
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
        schema: schemaRef(status === 401 ? 'UnauthenticatedBody' : 'ErrorBody'),
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

const list = (maxLength: number) => ({
  type: 'array',
  maxItems: MAX_FILTER_VALUES,
  items: { type: 'string', maxLength },
});

// Each: name, description, schema, and whether it is a comma list (Atlassian's `explode: false`).
const FILTERS: [string, string, Record<string, unknown>, boolean?][] = [
  [
    'q',
    'Exact term: the actor name or e-mail, a target name or e-mail, or the site name; ignoring case, after NFC and trimming.',
    { type: 'string', maxLength: 1024 },
  ],
  ['from', 'Inclusive lower bound: epoch milliseconds or ISO 8601.', { type: 'string' }],
  ['to', 'Inclusive upper bound: epoch milliseconds or ISO 8601.', { type: 'string' }],
  [
    'action',
    `Action ids, any of which matches: the parameter repeated, or a comma list (at most ${MAX_FILTER_VALUES}).`,
    list(128),
  ],
  ['category', 'A category id.', { type: 'string', maxLength: 128 }],
  [
    'actor',
    `Actor ids, any of which matches: a comma list (or the parameter repeated), at most ${MAX_FILTER_VALUES}.`,
    list(255),
    true,
  ],
  [
    'ip',
    `IPv4 or IPv6 addresses, any of which matches: a comma list (or the parameter repeated), at most ${MAX_FILTER_VALUES}.`,
    list(45),
    true,
  ],
  [
    'product',
    `Products, any of which matches: a comma list (or the parameter repeated), at most ${MAX_FILTER_VALUES}.`,
    list(64),
    true,
  ],
];

/** The filters of GET events as query parameters. */
export function ApiEventFilterQuery(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...FILTERS.map(([name, description, schema, commaList]) =>
      ApiQuery({
        name,
        required: false,
        description,
        schema,
        ...(commaList ? { style: 'form' as const, explode: false } : {}),
      }),
    ),
  );
}

/** The filters of GET events as query parameters, with `limit` and `cursor`. */
export function ApiEventListQuery(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiEventFilterQuery(),
    ApiQuery({
      name: 'limit',
      required: false,
      description: 'Page size; with a cursor and no limit, the page size the cursor was made with.',
      schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
    }),
    ApiQuery({
      name: 'sortOrder',
      required: false,
      description:
        '`desc`: newest first; `asc`: oldest first. By event time (`time`, then id); the cursor keeps it.',
      schema: { type: 'string', enum: ['desc', 'asc'], default: 'desc' },
    }),
    ApiQuery({
      name: 'cursor',
      required: false,
      description:
        '`meta.next` of a page, or the cursor of `links.next` / `links.prev`. It carries its org and query: send it alone, or with parameters of the same value (`to` may move later); a parameter that changes the query is a 400 `cursor_conflict` naming it.',
      schema: { type: 'string', maxLength: CURSOR_MAX_LENGTH },
    }),
  );
}
