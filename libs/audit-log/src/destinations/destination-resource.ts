import type { JsonSchema } from '../http/openapi/schemas';
import { DestinationView } from './destinations.service';

const iso = (ms: number | null) => (ms === null || ms === 0 ? null : new Date(ms).toISOString());

/**
 * A destination as the API shows it: its settings, which of its write-only fields are set
 * (never their values), its cursor and lag, and how delivery is going.
 */
export function destinationResource(view: DestinationView, base: string) {
  const { destination: d, lag, definition } = view;
  const secretFields = definition?.secretFields ?? [];
  const self = `${base}/orgs/${encodeURIComponent(d.orgId)}/destinations/${d.id}`;
  return {
    id: d.id,
    type: 'destinations',
    attributes: {
      type: d.type,
      name: d.name,
      target: definition ? definition.target(d.config) : d.type,
      state: d.state,
      pausedReason: d.pausedReason,
      settings: d.config,
      // Only whether each is set: a sealed blob holds those that are.
      secrets: Object.fromEntries(secretFields.map((f) => [f, d.sealedSecret !== null])),
      deliveredSeq: d.deliveredSeq,
      deliveredHash: d.deliveredHash,
      headSeq: lag.headSeq,
      lagEvents: lag.events,
      lagSeconds: Math.round(lag.ms / 100) / 10,
      failures: d.failures,
      nextAttemptAt: d.state === 'active' && d.failures > 0 ? iso(d.nextAttemptAt) : null,
      lastError: d.lastError,
      lastErrorAt: iso(d.lastErrorAt),
      lastDeliveredAt: iso(d.lastDeliveredAt),
      createdAt: new Date(d.createdAt).toISOString(),
      updatedAt: new Date(d.updatedAt).toISOString(),
    },
    links: { self },
  };
}

const nullableOf = (schema: JsonSchema): JsonSchema => ({
  ...schema,
  type: [schema.type as string, 'null'],
});
const time = (description: string): JsonSchema => ({
  type: 'string',
  format: 'date-time',
  description,
});

/** One destination (JSON Schema 2020-12, for the OpenAPI document). */
export const DESTINATION_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'The destination id (a ULID).' },
    type: { const: 'destinations' },
    attributes: {
      type: 'object',
      properties: {
        type: {
          type: 'string',
          description:
            '`webhook`, `splunk_hec`, `syslog`, `file` (where the operator set a directory), or a type a host added.',
        },
        name: nullableOf({ type: 'string' }),
        target: { type: 'string', description: 'Where events go, in a few words.' },
        state: { type: 'string', enum: ['active', 'paused'] },
        pausedReason: { type: ['string', 'null'], enum: ['admin', 'failures', null] },
        settings: {
          type: 'object',
          description: "The type's fields, without the write-only ones.",
        },
        secrets: {
          type: 'object',
          additionalProperties: { type: 'boolean' },
          description: 'Each write-only field and whether it is set; never its value.',
        },
        deliveredSeq: {
          type: 'integer',
          minimum: 0,
          description: 'The cursor: the last seq the receiver took.',
        },
        deliveredHash: nullableOf({
          type: 'string',
          description: 'The chain hash of the event at deliveredSeq.',
        }),
        headSeq: { type: 'integer', minimum: 0, description: "The org's newest seq." },
        lagEvents: {
          type: 'integer',
          minimum: 0,
          description: 'Events recorded and not yet delivered.',
        },
        lagSeconds: {
          type: 'number',
          minimum: 0,
          description: 'Age of the oldest undelivered event.',
        },
        failures: { type: 'integer', minimum: 0, description: 'Consecutive failed deliveries.' },
        nextAttemptAt: nullableOf(time('When a failed delivery is tried again.')),
        lastError: nullableOf({ type: 'string' }),
        lastErrorAt: nullableOf(time('When the last delivery failed.')),
        lastDeliveredAt: nullableOf(time('When the receiver last took a batch.')),
        createdAt: time('When it was created.'),
        updatedAt: time('When its settings or state last changed.'),
      },
      required: [
        'type',
        'name',
        'target',
        'state',
        'pausedReason',
        'settings',
        'secrets',
        'deliveredSeq',
        'deliveredHash',
        'headSeq',
        'lagEvents',
        'lagSeconds',
        'failures',
        'nextAttemptAt',
        'lastError',
        'lastErrorAt',
        'lastDeliveredAt',
        'createdAt',
        'updatedAt',
      ],
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

/** `{ data: <destination> }` */
export const DESTINATION_DOCUMENT_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { data: DESTINATION_SCHEMA },
  required: ['data'],
  additionalProperties: false,
};

/** `{ data: [<destination>] }` */
export const DESTINATION_LIST_SCHEMA: JsonSchema = {
  type: 'object',
  properties: { data: { type: 'array', items: DESTINATION_SCHEMA } },
  required: ['data'],
  additionalProperties: false,
};

/** The answer of POST .../destinations/{id}/test. */
export const DESTINATION_TEST_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'object',
      properties: {
        type: { const: 'destination-tests' },
        attributes: {
          type: 'object',
          properties: {
            ok: { type: 'boolean', description: 'Whether the receiver took the test.' },
            error: { type: 'string', description: 'Why not, when it did not.' },
          },
          required: ['ok'],
          additionalProperties: false,
        },
      },
      required: ['type', 'attributes'],
      additionalProperties: false,
    },
  },
  required: ['data'],
  additionalProperties: false,
};

/** The create body, for the document (each type's own fields are in docs/destinations.md). */
export const DESTINATION_CREATE_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    type: {
      type: 'string',
      description: '`webhook`, `splunk_hec`, `syslog`, `file`, or a type a host added.',
    },
    name: { type: 'string', maxLength: 200 },
    start: {
      type: 'string',
      enum: ['beginning', 'now'],
      default: 'beginning',
      description: 'Deliver the events already stored (`beginning`) or only new ones.',
    },
    url: { type: 'string', description: 'webhook, splunk_hec: https (http only to loopback).' },
    secret: {
      type: 'string',
      minLength: 16,
      writeOnly: true,
      description: 'webhook: the HMAC key.',
    },
    token: { type: 'string', writeOnly: true, description: 'splunk_hec: the HEC token.' },
    ca: { type: 'string', description: 'PEM CA certificates to trust for this receiver.' },
  },
  required: ['type'],
  additionalProperties: true,
};
