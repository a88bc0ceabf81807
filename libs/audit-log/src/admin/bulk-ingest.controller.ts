import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import {
  apiError,
  ApiErrorObject,
  ApiException,
  ApiExceptionFilter,
  invalidBody,
} from '../http/api-error';
import { apiBase } from '../http/api-base';
import { jsonPointer } from '../http/json-depth';
import { ApiAdminAuth, ApiCsrfHeader, ApiErrors } from '../http/openapi/decorators';
import { JsonSchema, schemaRef } from '../http/openapi/schemas';
import {
  ApiBody,
  ApiHeader,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '../http/openapi/swagger';
import { RateLimit } from '../http/rate-limit.decorator';
import { RateLimitGuard } from '../http/rate-limit.guard';
import { RequirePermission } from '../http/require-permission.decorator';
import { AdminAuthGuard } from './admin-auth.guard';
import { BulkIngestDto } from './bulk-ingest.dto';
import {
  BULK_MAX_EVENTS,
  BulkIngestResult,
  checkIdempotencyKey,
  IngestService,
  unavailableOnWriteError,
} from './ingest.service';

// The answer's schema lives here, not in schemas.ts: only this route answers it.
const ITEM_RESULTS: JsonSchema = {
  type: 'object',
  properties: {
    data: {
      type: 'array',
      description: 'One result per item, in the order sent.',
      items: {
        oneOf: [
          {
            type: 'object',
            description: 'A stored item: its event id and seq.',
            properties: {
              index: { type: 'integer', minimum: 0 },
              id: { type: 'string', description: 'Time-ordered ULID.' },
              type: { const: 'events' },
              seq: { type: 'integer', minimum: 1 },
              links: {
                type: 'object',
                properties: { self: { type: 'string' } },
                required: ['self'],
                additionalProperties: false,
              },
            },
            required: ['index', 'id', 'type', 'seq', 'links'],
            additionalProperties: false,
          },
          {
            type: 'object',
            description: 'A rejected item, not stored: why, with pointers under `/events/{index}`.',
            properties: {
              index: { type: 'integer', minimum: 0 },
              errors: { type: 'array', items: schemaRef('ErrorObject'), minItems: 1 },
            },
            required: ['index', 'errors'],
            additionalProperties: false,
          },
        ],
      },
    },
    meta: {
      type: 'object',
      properties: {
        stored: { type: 'integer', minimum: 1 },
        rejected: { type: 'integer', minimum: 0 },
      },
      required: ['stored', 'rejected'],
      additionalProperties: false,
    },
  },
  required: ['data', 'meta'],
  additionalProperties: false,
};

/** POST events/bulk: many events in one request and one commit (docs/api.md section 8). */
@Controller('admin/v1/orgs/:orgId')
@ApiTags('events')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(AdminAuthGuard, RateLimitGuard)
@UseFilters(ApiExceptionFilter)
export class BulkIngestController {
  constructor(private readonly ingest: IngestService) {}

  @Post('events/bulk')
  @ApiOperation({
    summary: `Record up to ${BULK_MAX_EVENTS} events in one commit (scope events:write and a role in the org)`,
    description:
      'Every valid item is stored, in one transaction, or none is; an invalid item is named in the answer and not stored.',
  })
  @ApiBody({ type: BulkIngestDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      '1 to 255 visible ASCII characters; a retry with the same body replays the same answer (200).',
  })
  @ApiCsrfHeader()
  @ApiResponse({
    status: 201,
    description: 'The valid items are stored; the rejected ones are named.',
    schema: ITEM_RESULTS,
  })
  @ApiResponse({
    status: 200,
    description: 'A replay of the same Idempotency-Key and body: the first answer.',
    schema: ITEM_RESULTS,
  })
  @ApiResponse({
    status: 413,
    description: `More than ${BULK_MAX_EVENTS} events, or a body larger than ${BULK_MAX_EVENTS} events of POST events can be, or than 8 MiB.`,
    schema: schemaRef('ErrorBody'),
  })
  @ApiErrors(400, 401, 403, 409, 415, 422, 429, 503)
  @HttpCode(201)
  @RequirePermission('write')
  @RateLimit('ingest')
  async bulk(
    @Param('orgId') orgId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const items = bulkItems(body);
    checkIdempotencyKey(key);
    let result: BulkIngestResult;
    try {
      result = await this.ingest.recordBulk(orgId, items, body, key);
    } catch (err) {
      unavailableOnWriteError(err, 'The events');
    }
    if (result.outcome === 'conflict')
      throw apiError(409, 'This Idempotency-Key was used with another body');
    if (result.outcome === 'rejected') throw allRejected(result.items.flatMap((i) => i.errors));
    if (result.replayed) res.status(200);
    const events = `${apiBase(req)}/orgs/${encodeURIComponent(orgId)}/events`;
    let stored = 0;
    const data = result.items.map((item) => {
      if (!('event' in item)) return item;
      stored += 1;
      const { id, seq } = item.event;
      return { index: item.index, id, type: 'events', seq, links: { self: `${events}/${id}` } };
    });
    return { data, meta: { stored, rejected: data.length - stored } };
  }
}

/** The items of a bulk body, or the 400 (413 for too many) that says what is wrong with it. */
function bulkItems(body: unknown): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw invalidBody('The body must be a JSON object with an events array');
  }
  const unknown = Object.keys(body).filter((k) => k !== 'events');
  if (unknown.length) {
    throw new ApiException(
      400,
      unknown.map((k) => ({
        status: '400',
        code: 'unknown_field',
        title: 'Invalid field',
        detail: 'only events is taken here',
        source: { pointer: jsonPointer([k]) },
      })),
    );
  }
  const events = Object.prototype.hasOwnProperty.call(body, 'events')
    ? (body as { events: unknown }).events
    : undefined;
  if (!Array.isArray(events) || events.length === 0) {
    throw new ApiException(400, [
      {
        status: '400',
        code: 'invalid_field',
        title: 'Invalid field',
        detail: `events must be an array of 1 to ${BULK_MAX_EVENTS} events`,
        source: { pointer: '/events' },
      },
    ]);
  }
  if (events.length > BULK_MAX_EVENTS) {
    throw new ApiException(413, [
      {
        status: '413',
        code: 'payload_too_large',
        title: 'Request body too large',
        detail: `events holds ${events.length} items; at most ${BULK_MAX_EVENTS} are taken per request`,
        source: { pointer: '/events' },
      },
    ]);
  }
  return events;
}

/**
 * No item is valid: a 400 listing every item's errors, or a 422 when each is an unknown action.
 * Every error carries the answer's status (the codes still tell them apart).
 */
function allRejected(errors: ApiErrorObject[]): ApiException {
  const status = errors.every((e) => e.status === '422') ? 422 : 400;
  return new ApiException(
    status,
    errors.map((e) => ({ ...e, status: String(status) })),
  );
}
