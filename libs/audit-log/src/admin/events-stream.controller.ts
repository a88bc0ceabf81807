import { Controller, Get, Inject, Param, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { ActionCatalog } from '../catalog/action-catalog';
import { apiBase } from '../http/api-base';
import { ApiExceptionFilter, invalidParameter } from '../http/api-error';
import { ApiAdminAuth, ApiErrors } from '../http/openapi/decorators';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '../http/openapi/swagger';
import { RateLimit } from '../http/rate-limit.decorator';
import { RateLimitGuard } from '../http/rate-limit.guard';
import { RequirePermission } from '../http/require-permission.decorator';
import { validateDto } from '../http/validate-dto';
import { parseInstant } from '../query/event-filters';
import { InvalidCursorError, StreamCursorCodec, StreamCursorState } from '../query/stream-cursor';
import { StreamQueryService } from '../query/stream-query.service';
import { AdminAuthGuard } from './admin-auth.guard';
import { narrowFilters, viewerOf } from './viewer-tokens/narrow';
import {
  EventStreamQueryDto,
  STREAM_DEFAULT_LIMIT,
  STREAM_LIMIT_MESSAGE,
  STREAM_MAX_LIMIT,
  streamLimit,
} from './events-stream-query.dto';
import { streamEventResource, streamPageSchema } from './events-stream-resource';

/**
 * GET events-stream: the org's events in processing order for pollers (SIEMs), as Atlassian's
 * `/v1/orgs/{orgId}/events-stream`. A poller keeps the cursor of its last page and comes back
 * with it alone: it gets nothing until something is new, then exactly what is new.
 */
@Controller('admin/v1/orgs/:orgId')
@ApiTags('events')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(AdminAuthGuard, RateLimitGuard)
@UseFilters(ApiExceptionFilter)
export class EventsStreamController {
  constructor(
    private readonly stream: StreamQueryService,
    private readonly catalog: ActionCatalog,
    @Inject(StreamCursorCodec) private readonly cursors: StreamCursorCodec,
  ) {}

  @Get('events-stream')
  @ApiOperation({
    summary: 'Events of the org in processing order, for polling (org-admin)',
    description:
      'Ordered by `seq` (per org, gap-free, in commit order), ascending unless `sortOrder=desc`. ' +
      'Every page carries a cursor, the last one too: come back with it alone for what is new.',
  })
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'Inclusive lower bound on the event time: epoch milliseconds or ISO 8601.',
    schema: { type: 'string' },
  })
  @ApiQuery({
    name: 'to',
    required: false,
    description: 'Inclusive upper bound on the event time: epoch milliseconds or ISO 8601.',
    schema: { type: 'string' },
  })
  @ApiQuery({
    name: 'sortOrder',
    required: false,
    description: 'Processing order; kept in the cursor.',
    schema: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    description: 'Page size.',
    schema: {
      type: 'integer',
      minimum: 1,
      maximum: STREAM_MAX_LIMIT,
      default: STREAM_DEFAULT_LIMIT,
    },
  })
  @ApiQuery({
    name: 'cursor',
    required: false,
    description:
      '`meta.next` of a previous page (bound to the org; keeps `sortOrder`, `from` and `to`).',
    schema: { type: 'string', maxLength: 1024 },
  })
  @ApiResponse({
    status: 200,
    description: 'A page of events, and the cursor to come back with.',
    schema: streamPageSchema(STREAM_MAX_LIMIT),
  })
  @ApiErrors(400, 401, 403, 429, 503)
  @RequirePermission('read')
  @RateLimit('stream')
  async poll(
    @Param('orgId') orgId: string,
    @Query() raw: Record<string, unknown>,
    @Req() req: Request,
  ) {
    const dto = validateDto(EventStreamQueryDto, raw, 'parameter');
    const limit = streamLimit(dto);
    if (limit === undefined) throw invalidParameter('limit', STREAM_LIMIT_MESSAGE);
    const state = this.stateOf(orgId, dto);
    // The stream takes no action, actor or product parameter: a viewer's narrowing comes with
    // its token on each request; its start bounds `from` (kept in the cursor, as a poller's).
    const narrowed = narrowFilters({ from: state.from, to: state.to }, viewerOf(req), 'parameter');
    if (narrowed.from !== undefined) state.from = narrowed.from;
    const page = await this.stream.page(orgId, state, limit, {
      actions: narrowed.actions,
      actor: narrowed.actor,
      product: narrowed.product,
    });
    const next = this.cursors.encode(orgId, page.next);
    const self = req.originalUrl;
    // The cursor carries the order and the filters: the link needs only it (and the page size).
    const url = new URL(self, 'http://x');
    const link = new URLSearchParams({ cursor: next });
    if (dto.limit !== undefined) link.set('limit', String(limit));
    const base = apiBase(req);
    return {
      data: page.events.map((e) => streamEventResource(e, this.catalog, base)),
      meta: { next, page_size: limit },
      links: { self, next: `${url.pathname}?${link}` },
    };
  }

  /**
   * Where the page starts: the cursor's state, or the start of the org's stream. A parameter
   * given with a cursor must be the one the cursor was made with, or the walk would change
   * under the poller.
   */
  private stateOf(orgId: string, dto: EventStreamQueryDto): StreamCursorState {
    const bounds: { from?: number; to?: number } = {};
    for (const key of ['from', 'to'] as const) {
      const raw = dto[key];
      if (raw === undefined) continue;
      const ms = parseInstant(raw);
      if (ms === undefined) throw invalidParameter(key, 'is not a valid date-time');
      bounds[key] = ms;
    }
    if (bounds.from !== undefined && bounds.to !== undefined && bounds.from > bounds.to) {
      throw invalidParameter('from', 'must not be after to');
    }
    const sortOrder = dto.sortOrder as StreamCursorState['sortOrder'] | undefined;
    if (dto.cursor === undefined) return { sortOrder: sortOrder ?? 'asc', ...bounds, after: 0 };
    let state: StreamCursorState;
    try {
      state = this.cursors.decode(dto.cursor, orgId);
    } catch (err) {
      if (err instanceof InvalidCursorError) throw invalidParameter('cursor', err.message);
      throw err;
    }
    const given: [keyof typeof bounds | 'sortOrder', unknown, unknown][] = [
      ['sortOrder', sortOrder, state.sortOrder],
      ['from', bounds.from, state.from],
      ['to', bounds.to, state.to],
    ];
    for (const [name, value, kept] of given) {
      if (value !== undefined && value !== kept) {
        throw invalidParameter(
          name,
          'differs from the cursor, which keeps the one it was made with; leave it out, or start again without the cursor',
        );
      }
    }
    return state;
  }
}
