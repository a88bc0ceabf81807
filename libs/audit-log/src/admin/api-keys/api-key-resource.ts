import type { JsonSchema } from '../../http/openapi/schemas';
import { API_KEY_SCOPES, ApiKey } from './api-key.service';

/** An API key as the API shows it: never its secret (but once, at creation) nor its hash. */
export function apiKeyResource(key: ApiKey, base: string, secret?: string) {
  return {
    id: key.id,
    type: 'api-keys',
    attributes: {
      name: key.name,
      scope: key.scopes,
      status: key.status,
      createdBy: key.createdBy,
      createdAt: key.createdAt.toISOString(),
      expiresAt: key.expiresAt.toISOString(),
      lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
      revokedAt: key.revokedAt?.toISOString() ?? null,
      ...(secret !== undefined ? { secret } : {}),
    },
    links: { self: `${base}/orgs/${encodeURIComponent(key.orgId)}/api-keys/${key.id}` },
  };
}

const dateTime = { type: 'string', format: 'date-time' };
const nullableDate = { type: ['string', 'null'], format: 'date-time' };

/** The JSON Schema of one key; with `secret` for the answer to its creation. */
export function apiKeySchema(withSecret: boolean): JsonSchema {
  const attributes: Record<string, JsonSchema> = {
    name: { type: 'string', maxLength: 100 },
    scope: { type: 'array', items: { type: 'string', enum: [...API_KEY_SCOPES] } },
    status: { type: 'string', enum: ['active', 'expired', 'revoked'] },
    createdBy: {
      type: 'object',
      properties: { id: { type: 'string' }, name: { type: 'string' } },
      required: ['id'],
      additionalProperties: false,
    },
    createdAt: dateTime,
    expiresAt: dateTime,
    lastUsedAt: { ...nullableDate, description: 'Updated at most once a minute.' },
    revokedAt: nullableDate,
  };
  if (withSecret)
    attributes.secret = {
      type: 'string',
      description: 'The key (`ak_<id>_<secret>`), shown this once: only its hash is kept.',
    };
  return {
    type: 'object',
    properties: {
      id: { type: 'string' },
      type: { const: 'api-keys' },
      attributes: {
        type: 'object',
        properties: attributes,
        required: Object.keys(attributes),
        additionalProperties: false,
      },
      links: {
        type: 'object',
        properties: { self: { type: 'string' } },
        required: ['self'],
        additionalProperties: false,
      },
    },
    required: ['id', 'type', 'attributes', 'links'],
    additionalProperties: false,
  };
}
