import { ActionCatalog } from '../catalog/action-catalog';
import { AUDIT_API_SCHEMAS, JsonSchema } from '../http/openapi/schemas';
import { StreamEvent } from '../query/stream-query.service';
import { eventResource } from './event-resource';

/** An event of GET events-stream: the event resource of GET events with `processedAt`. */
export function streamEventResource(e: StreamEvent, catalog: ActionCatalog, base: string) {
  const { attributes, ...rest } = eventResource(e.event, catalog, base);
  const { time, ...others } = attributes;
  return { ...rest, attributes: { time, processedAt: e.processedAt, ...others } };
}

/**
 * The JSON Schema of a stream page, for the OpenAPI document: the `Event` schema of
 * http/openapi/schemas.ts with `processedAt` added, so both stay one definition.
 */
export function streamPageSchema(maxLimit: number): JsonSchema {
  const event = structuredClone(AUDIT_API_SCHEMAS.Event) as {
    properties: { attributes: { properties: Record<string, JsonSchema>; required: string[] } };
  } & JsonSchema;
  const attributes = event.properties.attributes;
  attributes.properties = {
    time: attributes.properties.time,
    processedAt: {
      type: 'string',
      format: 'date-time',
      description:
        'When AuditKit stored it (UTC, ms). Pages are in processing order, which is `seq`.',
    },
    ...attributes.properties,
  };
  attributes.required = [...attributes.required, 'processedAt'];
  event.description = 'One event of the stream: the event of GET events with `processedAt`.';
  return {
    type: 'object',
    description: 'A page of the events stream, in processing (`seq`) order.',
    properties: {
      data: { type: 'array', items: event },
      meta: {
        type: 'object',
        properties: {
          next: {
            type: 'string',
            description: 'The cursor to come back with; on every page, the last one included.',
          },
          page_size: { type: 'integer', minimum: 1, maximum: maxLimit },
        },
        required: ['next', 'page_size'],
        additionalProperties: false,
      },
      links: {
        type: 'object',
        properties: {
          self: { type: 'string' },
          next: { type: 'string', description: 'Always present: the cursor as a link.' },
        },
        required: ['self', 'next'],
        additionalProperties: false,
      },
    },
    required: ['data', 'meta', 'links'],
    additionalProperties: false,
  };
}
