/**
 * The response bodies of the admin API and the export routes as JSON Schema 2020-12 (the dialect
 * of OpenAPI 3.1), under the names they get in the document's `components.schemas`. They are
 * written by hand rather than derived from classes because the controllers answer plain objects
 * (see admin/event-resource.ts, export/export-resource.ts), and because 3.1 can say `null`
 * directly. `test/api/openapi.e2e-spec.ts` checks real responses against them.
 */

import { AUDIT_VIEWER_COLUMNS } from '../../admin/viewer/viewer-options';

/** A JSON Schema object. */
export type JsonSchema = Record<string, unknown>;

const ref = (name: string): JsonSchema => ({ $ref: `#/components/schemas/${name}` });
const str = (description?: string): JsonSchema =>
  description ? { type: 'string', description } : { type: 'string' };
const nullable = (schema: JsonSchema): JsonSchema => ({
  ...schema,
  type: [schema.type as string, 'null'],
});
const dateTime = (description: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  description,
});
const object = (
  properties: Record<string, JsonSchema>,
  required: string[],
  description?: string,
): JsonSchema => ({
  type: 'object',
  ...(description ? { description } : {}),
  properties,
  required,
  additionalProperties: false,
});

const checkpoint = nullable(
  object(
    {
      seq: { type: 'integer', minimum: 0 },
      head: str('The chain hash at `seq` (hex).'),
      count: { type: 'integer', minimum: 0 },
      kind: { type: 'string', enum: ['scheduled', 'manual', 'purge', 'upgrade'] },
      signedAt: dateTime('When it was signed.'),
      keyId: nullable(str('The signing key id; null when unsigned.')),
      signed: { type: 'boolean' },
      purge: object({ throughSeq: { type: 'integer', minimum: 0 }, policy: str() }, [
        'throughSeq',
        'policy',
      ]),
      signature: nullable(str('Ed25519 signature, base64url; null when unsigned.')),
    },
    ['seq', 'head', 'count', 'kind', 'signedAt', 'keyId', 'signed', 'signature'],
    'A signed checkpoint (docs/integrity.md), or null.',
  ),
);

/** Every schema the document's `components.schemas` gets from here, by name. */
export const AUDIT_API_SCHEMAS: Record<string, JsonSchema> = {
  ErrorObject: {
    type: 'object',
    description: 'One error, JSON:API style (docs/api.md section 5).',
    properties: {
      status: { type: 'string', pattern: '^[45]\\d\\d$', description: 'The HTTP status, as text.' },
      code: { type: 'string', description: 'Stable, machine-readable, e.g. `invalid_parameter`.' },
      title: str('Short, the same for every error of the code.'),
      detail: str('What went wrong with this request; never echoes the body.'),
      source: object(
        {
          parameter: str('The query or path parameter at fault.'),
          pointer: str('A JSON pointer into the body, e.g. `/actor/id`.'),
          header: str('The request header at fault.'),
        },
        [],
      ),
      meta: object(
        {
          atlassianCode: {
            type: 'string',
            pattern: '^ADMIN-\\d{3}-\\d+$',
            description:
              "The code Atlassian's organizations API gives an error of the same meaning (their `code`), e.g. `ADMIN-400-1` for a bad cursor; absent when they have none (docs/api.md).",
          },
        },
        ['atlassianCode'],
      ),
    },
    required: ['status', 'code', 'title'],
    additionalProperties: false,
  },
  ErrorBody: object(
    { errors: { type: 'array', items: ref('ErrorObject'), minItems: 1 } },
    ['errors'],
    'Every error answer of the API.',
  ),
  UnauthenticatedBody: object(
    {
      code: { const: 401, description: "Atlassian's `ProxyError.code`: the HTTP status." },
      message: str("Atlassian's `ProxyError.message`: the detail of the first error."),
      errors: { type: 'array', items: ref('ErrorObject'), minItems: 1 },
    },
    ['code', 'message', 'errors'],
    "A 401: the errors of every answer, plus Atlassian's `{ code, message }`.",
  ),
  Actor: object(
    {
      id: str('Stable id in the host directory.'),
      type: str('`user`, `system`, `api_key`, or any type the host uses.'),
      name: str(),
      email: str(),
    },
    ['id', 'type'],
  ),
  Event: object(
    {
      id: str('Time-ordered ULID.'),
      type: { const: 'events' },
      attributes: object(
        {
          time: dateTime('When it happened, UTC with milliseconds.'),
          seq: { type: 'integer', minimum: 1, description: 'Per org, gap-free.' },
          action: str('A catalog action id.'),
          category: str('The action category.'),
          actor: ref('Actor'),
          context: {
            type: 'array',
            description: 'The targets.',
            items: object(
              {
                id: str(),
                type: str(),
                attributes: object({ name: str(), email: str() }, []),
                links: ref('ObjectLinks'),
              },
              ['id', 'type', 'attributes', 'links'],
            ),
          },
          container: {
            type: 'array',
            description: 'The site, when there is one.',
            maxItems: 1,
            items: object(
              {
                id: str(),
                type: { const: 'site' },
                attributes: object({ name: str() }, []),
                links: ref('ObjectLinks'),
              },
              ['id', 'type', 'attributes', 'links'],
            ),
          },
          product: nullable(str()),
          location: object(
            {
              ip: str(),
              userAgent: str(),
              countryName: str(),
              regionName: str(),
              city: str(),
              geo: { ...str(), deprecated: true, description: 'city, regionName, countryName' },
            },
            [],
          ),
          outcome: { type: 'string', enum: ['success', 'failure'] },
          metadata: {
            type: 'object',
            description: 'Free-form; keys that look like secrets are `"[REDACTED]"`.',
          },
        },
        [
          'time',
          'seq',
          'action',
          'category',
          'actor',
          'context',
          'container',
          'product',
          'location',
          'outcome',
          'metadata',
        ],
      ),
      message: object(
        {
          content: str('The catalog sentence, e.g. "Jane Doe added Bob Li to jira-admins".'),
          format: { const: 'simple' },
        },
        ['content', 'format'],
      ),
      links: object({ self: str() }, ['self']),
    },
    ['id', 'type', 'attributes', 'message', 'links'],
    'One event as a resource (docs/events.md has every field).',
  ),
  EventList: object(
    {
      data: { type: 'array', items: ref('Event') },
      meta: object(
        {
          next: nullable(str('The cursor of the next page; null on the last one.')),
          page_size: { type: 'integer', minimum: 1, maximum: 1000 },
        },
        ['next', 'page_size'],
      ),
      links: object(
        {
          self: str(),
          next: str('Path and cursor of the next page; absent on the last page.'),
          prev: str(
            'Path and cursor of the page before (newer events); absent on the first page and on an empty one.',
          ),
        },
        ['self'],
      ),
    },
    ['data', 'meta', 'links'],
    'A page of events, newest first.',
  ),
  ObjectLinks: object(
    {
      alt: str(
        "This org's events searched (`q`) for the object: its e-mail, else its name; only for users, groups and sites.",
      ),
    },
    [],
    'Links of a context or container item; AuditKit has no resource for the object itself.',
  ),
  EventDocument: object({ data: ref('Event') }, ['data']),
  EventActionList: object(
    {
      data: {
        type: 'array',
        items: object(
          {
            id: str('The action id, e.g. `group_created`.'),
            type: { const: 'event-actions' },
            attributes: object({ displayName: str(), category: str(), groupDisplayName: str() }, [
              'displayName',
              'category',
              'groupDisplayName',
            ]),
          },
          ['id', 'type', 'attributes'],
        ),
      },
    },
    ['data'],
  ),
  EventHistogram: object(
    {
      data: {
        type: 'array',
        maxItems: 1000,
        description:
          'Every bucket from the one holding `from` to the one holding `to`, oldest first.',
        items: object(
          {
            start: dateTime('Start of the bucket (inclusive).'),
            end: dateTime('End of the bucket (exclusive).'),
            total: { type: 'integer', minimum: 0 },
            byCategory: {
              type: 'object',
              description:
                'Events per category id: every category of `meta.categories`, 0 when it has none. The edge buckets count only what falls within `from`..`to`.',
              additionalProperties: { type: 'integer', minimum: 0 },
            },
          },
          ['start', 'end', 'total', 'byCategory'],
        ),
      },
      meta: object(
        {
          interval: { type: 'string', enum: ['hour', 'day'] },
          utcOffset: str('The offset the buckets start on, ±HH:MM.'),
          from: dateTime('The range counted (inclusive): `from`, or 30 days before `to`.'),
          to: dateTime('The range counted (inclusive): `to`, or now.'),
          total: { type: 'integer', minimum: 0 },
          source: {
            type: 'string',
            enum: ['rollup', 'events'],
            description:
              '`rollup`: read from the hourly rollup (no filter but time and category, a whole-hour offset); `events`: the matching events grouped.',
          },
          categories: {
            type: 'array',
            description: 'The stacks, in catalog order, with their display names.',
            items: object({ id: str(), displayName: str() }, ['id', 'displayName']),
          },
        },
        ['interval', 'utcOffset', 'from', 'to', 'total', 'source', 'categories'],
      ),
    },
    ['data', 'meta'],
  ),
  ExportFilters: object(
    {
      q: str(),
      from: dateTime('Inclusive.'),
      to: dateTime('Inclusive.'),
      action: { type: 'array', items: str() },
      category: str(),
      actor: { type: 'array', items: str() },
      ip: { type: 'array', items: str() },
      product: { type: 'array', items: str() },
    },
    [],
    'The filters the export was asked with, parsed.',
  ),
  Export: object(
    {
      id: str(),
      type: { const: 'exports' },
      attributes: object(
        {
          status: {
            type: 'string',
            enum: ['queued', 'running', 'ready', 'failed', 'expired'],
          },
          filters: ref('ExportFilters'),
          requestedBy: str('The `sub` of the admin who asked for it.'),
          createdAt: dateTime('When it was asked for.'),
          startedAt: nullable(dateTime('When a worker started it.')),
          readyAt: nullable(dateTime('When the file was ready.')),
          expiresAt: nullable(dateTime('When the download link stops working.')),
          rowCount: nullable({ type: 'integer', minimum: 0 }),
          truncated: nullable({
            type: 'boolean',
            description: 'More events matched than the file holds.',
          }),
        },
        ['status', 'filters', 'requestedBy', 'createdAt'],
      ),
      links: object({ self: str() }, ['self']),
    },
    ['id', 'type', 'attributes', 'links'],
    'An export; the answer to POST holds only status, filters, requestedBy and createdAt.',
  ),
  ExportDocument: object({ data: ref('Export') }, ['data']),
  ExportList: object({ data: { type: 'array', items: ref('Export') } }, ['data']),
  ExportManifest: {
    type: 'object',
    description: 'The signed manifest of an export file (docs/integrity.md).',
  },
  IntegrityReport: object(
    {
      data: object(
        {
          id: str('The org id.'),
          type: { const: 'integrity' },
          attributes: object(
            {
              status: { type: 'string', enum: ['verified', 'unsigned', 'broken'] },
              ok: { type: 'boolean' },
              checkedEvents: { type: 'integer', minimum: 0 },
              headSeq: { type: 'integer', minimum: 0 },
              startSeq: { type: 'integer', minimum: 0 },
              verifiedThrough: checkpoint,
              unsignedEvents: { type: 'integer', minimum: 0 },
              latestCheckpoint: checkpoint,
              lastPurgeCheckpoint: checkpoint,
              signaturesChecked: { type: 'boolean' },
              checkpoints: object(
                {
                  stored: { type: 'integer', minimum: 0 },
                  witnessed: { type: 'integer', minimum: 0 },
                },
                ['stored', 'witnessed'],
              ),
              problems: {
                type: 'array',
                items: object({ seq: { type: 'integer' }, reason: str() }, ['seq', 'reason']),
              },
            },
            [
              'status',
              'ok',
              'checkedEvents',
              'headSeq',
              'startSeq',
              'verifiedThrough',
              'unsignedEvents',
              'latestCheckpoint',
              'lastPurgeCheckpoint',
              'signaturesChecked',
              'checkpoints',
              'problems',
            ],
          ),
        },
        ['id', 'type', 'attributes'],
      ),
    },
    ['data'],
    "The org's chain, verified now.",
  ),
  KeySet: object(
    {
      keys: {
        type: 'array',
        items: object(
          {
            kty: { const: 'OKP' },
            crv: { const: 'Ed25519' },
            x: str('The public key, base64url.'),
            kid: str(),
            current: { type: 'boolean', description: 'New checkpoints are signed with it.' },
          },
          ['kty', 'crv', 'x', 'kid', 'current'],
        ),
      },
    },
    ['keys'],
    'The checkpoint and manifest public keys as a JWK set (RFC 8037).',
  ),
  Session: object(
    {
      data: object(
        {
          sub: str(),
          name: nullable(str()),
          email: nullable(str()),
          orgs: { type: 'array', items: str(), description: 'The orgs the user is org admin of.' },
        },
        ['sub', 'name', 'email', 'orgs'],
      ),
    },
    ['data'],
  ),
  SignInMethods: object(
    {
      data: object(
        {
          tokenSignIn: { type: 'boolean', description: 'Whether a pasted token may sign in.' },
          oidc: nullable(
            object(
              {
                providerName: str('The label of the "Sign in with" button.'),
                loginPath: str('Where the button goes, relative to the web UI.'),
              },
              ['providerName', 'loginPath'],
              'OpenID Connect sign-in, when configured.',
            ),
          ),
        },
        ['tokenSignIn', 'oidc'],
      ),
    },
    ['data'],
  ),
  ViewerConfig: object(
    {
      data: object(
        {
          targetLinks: {
            type: 'object',
            description:
              'Per target type, a URL template (absolute http(s) or root-relative) with `{id}`, `{type}` and `{org}` to fill in URL-encoded.',
            additionalProperties: { type: 'string' },
          },
          columns: {
            type: 'array',
            description:
              'Extra columns of the log after Date, Actor, Action and Details, in order.',
            items: { type: 'string', enum: [...AUDIT_VIEWER_COLUMNS] },
          },
        },
        ['targetLinks', 'columns'],
      ),
    },
    ['data'],
  ),
  UserSessionsEnded: object(
    {
      data: object({ orgId: str(), userId: str(), ended: { type: 'integer', minimum: 0 } }, [
        'orgId',
        'userId',
        'ended',
      ]),
    },
    ['data'],
  ),
  Health: object({ status: { const: 'ok' } }, ['status']),
  Readiness: object(
    {
      status: { type: 'string', enum: ['ready', 'not_ready'] },
      checks: {
        type: 'object',
        description: 'One entry per dependency: `database`, and `redis` when configured.',
        additionalProperties: object(
          { status: { type: 'string', enum: ['up', 'down'] }, error: str() },
          ['status'],
        ),
      },
    },
    ['status', 'checks'],
  ),
};

/** A `$ref` to one of {@link AUDIT_API_SCHEMAS}. */
export function schemaRef(name: keyof typeof AUDIT_API_SCHEMAS & string): JsonSchema {
  if (!(name in AUDIT_API_SCHEMAS)) throw new Error(`No API schema named ${name}`);
  return ref(name);
}
