import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { ActionCatalog } from '../catalog/action-catalog';
import {
  CursorCodec,
  CursorDirection,
  CursorPosition,
  DecodedCursor,
  InvalidCursorError,
} from '../query/cursor';
import { EventFilters, EventListQueryDto, plainPageQuery } from '../query/event-filters';
import { EventQueryService } from '../query/event-query.service';
import { AuditService } from '../recording/audit.service';
import { AdminAuthGuard } from './admin-auth.guard';
import { RequirePermission } from '../http/require-permission.decorator';
import {
  apiError,
  ApiExceptionFilter,
  ATLASSIAN_ERROR_CODES,
  cursorConflicts,
  invalidParameter,
} from '../http/api-error';
import { apiBase } from '../http/api-base';
import { eventResource } from './event-resource';
import { toEventFilters } from '../http/event-filters';
import { IdempotencyService } from './idempotency.service';
import { IngestEventDto } from './ingest-event.dto';
import { checkIdempotencyKey, prepareIngestEvent, unavailableOnWriteError } from './ingest.service';
import { RateLimit } from '../http/rate-limit.decorator';
import { RateLimitGuard } from '../http/rate-limit.guard';
import { validateDto } from '../http/validate-dto';
import { AUDIT_CURSOR_CODEC } from './admin.internal-constants';
import { narrowFilters, viewerOf, viewerSees } from './viewer-tokens/narrow';
import { Inject } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOperation, ApiParam, ApiTags } from '../http/openapi/swagger';
import {
  ApiAdminAuth,
  ApiCsrfHeader,
  ApiErrors,
  ApiEventListQuery,
  ApiJson,
} from '../http/openapi/decorators';

/**
 * The URL of another page: the path, `limit` when the request sent one, and the cursor, which
 * carries the query. Only when the query was too large to carry (see CursorCodec) does the link
 * repeat the request's filters, with the dates the cursor continues.
 */
function pageLink(
  self: string,
  cursor: string,
  carried: boolean,
  limit: string | undefined,
  filters: EventFilters,
): string {
  const url = new URL(self, 'http://x');
  const params = carried ? new URLSearchParams() : new URLSearchParams(url.search);
  if (carried) {
    if (limit !== undefined) params.set('limit', limit);
  } else {
    for (const key of ['from', 'to'] as const) {
      if (filters[key] === undefined) params.delete(key);
      else params.set(key, String(filters[key]));
    }
  }
  params.set('cursor', cursor);
  return `${url.pathname}?${params}`;
}

/** The events routes of docs/api.md section 5. */
@Controller('admin/v1/orgs/:orgId')
@ApiTags('events')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(AdminAuthGuard, RateLimitGuard)
@UseFilters(ApiExceptionFilter)
export class EventsController {
  constructor(
    private readonly query: EventQueryService,
    private readonly catalog: ActionCatalog,
    private readonly audit: AuditService,
    private readonly idempotency: IdempotencyService,
    @Inject(AUDIT_CURSOR_CODEC) private readonly cursors: CursorCodec,
  ) {}

  @Get('events')
  @ApiOperation({ summary: 'Events of the org, newest first (org-admin)' })
  @ApiEventListQuery()
  @ApiJson(200, 'EventList', 'A page of events.')
  @ApiErrors(400, 401, 403, 429, 503)
  @RequirePermission('read')
  @RateLimit('reads')
  async list(
    @Param('orgId') orgId: string,
    @Query() raw: Record<string, unknown>,
    @Req() req: Request,
  ) {
    const dto = plainPageQuery(raw) ?? validateDto(EventListQueryDto, raw, 'parameter');
    const sent = toEventFilters(dto, this.catalog, 'parameter');
    if (dto.sortOrder !== undefined) sent.sortOrder = dto.sortOrder as 'asc' | 'desc';
    let limit: number | undefined;
    if (dto.limit !== undefined) {
      limit = Number(dto.limit);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
        throw invalidParameter('limit', 'must be a whole number from 1 to 1000');
      }
    }
    let filters = sent;
    let cursor: DecodedCursor | undefined;
    if (dto.cursor !== undefined) {
      try {
        cursor = this.cursors.decode(dto.cursor, orgId);
      } catch (err) {
        if (err instanceof InvalidCursorError) throw invalidParameter('cursor', err.message);
        throw err;
      }
      const resumed = this.cursors.resume(cursor, orgId, sent);
      if (resumed.conflicts.length) throw cursorConflicts(resumed.conflicts);
      filters = resumed.filters;
      // A cursor sent alone keeps the page size it was made with.
      limit ??= cursor.limit;
    }
    // On the query as it runs, the cursor's included: an admin's cursor widens no viewer.
    filters = narrowFilters(filters, viewerOf(req), 'parameter');
    const size = limit ?? 100;
    const order = filters.sortOrder ?? 'desc';
    let events;
    let next: CursorPosition | null = null;
    let prev: CursorPosition | null = null;
    if (cursor?.direction === 'prev') {
      const page = await this.query.pageBefore(orgId, filters, size, cursor.position, order);
      events = page.events;
      next = page.last;
      if (page.more) prev = page.first;
    } else {
      const page = await this.query.page(orgId, filters, size, cursor?.position, order);
      events = page.events;
      next = page.next;
      // Only a page reached with a cursor has a page before it.
      if (cursor && events.length) prev = { time: Date.parse(events[0].time), id: events[0].id };
    }
    const make = (direction: CursorDirection, pos: CursorPosition) =>
      this.cursors.encode(orgId, filters, pos, { direction, limit: size });
    const nextCursor = next ? make('next', next) : null;
    const self = req.originalUrl;
    const links: Record<string, string> = { self };
    const link = (c: string) => pageLink(self, c, this.cursors.carries(c), dto.limit, filters);
    if (nextCursor) links.next = link(nextCursor);
    if (prev) links.prev = link(make('prev', prev));
    const base = apiBase(req);
    return {
      data: events.map((e) => eventResource(e, this.catalog, base)),
      meta: { next: nextCursor, page_size: size },
      links,
    };
  }

  @Get('events/:eventId')
  @ApiOperation({ summary: 'One event (org-admin); an id of another org is a 404' })
  @ApiParam({ name: 'eventId', description: 'The event id (ULID).' })
  @ApiJson(200, 'EventDocument', 'The event.')
  @ApiErrors(401, 403, 404, 503)
  @RequirePermission('read')
  async one(@Param('orgId') orgId: string, @Param('eventId') eventId: string, @Req() req: Request) {
    const event = await this.query.get(orgId, eventId);
    if (!event || !viewerSees(event, viewerOf(req))) {
      const notFound = apiError(404, `No event ${eventId} in this organization`);
      notFound.errors[0].meta = { atlassianCode: ATLASSIAN_ERROR_CODES.eventNotFound };
      throw notFound;
    }
    return { data: eventResource(event, this.catalog, apiBase(req)) };
  }

  @Get('event-actions')
  @ApiOperation({ summary: 'The action catalog: built-in and host actions (org-admin)' })
  @ApiJson(200, 'EventActionList', 'Every action with its display names.')
  @ApiErrors(401, 403, 503)
  @RequirePermission('read')
  actions() {
    return {
      data: this.catalog.listActions().map((a) => ({
        id: a.id,
        type: 'event-actions',
        attributes: {
          displayName: a.displayName,
          category: a.category,
          groupDisplayName: this.catalog.getCategory(a.category)?.displayName ?? a.category,
        },
      })),
    };
  }

  @Post('events')
  @ApiOperation({ summary: 'Record one event (scope events:write and a role in the org)' })
  @ApiBody({ type: IngestEventDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: '1 to 255 visible ASCII characters; a retry with the same body replays (200).',
  })
  @ApiCsrfHeader()
  @ApiJson(201, 'EventDocument', 'Stored.')
  @ApiJson(200, 'EventDocument', 'A replay of the same Idempotency-Key and body: the first event.')
  @ApiErrors(400, 401, 403, 409, 413, 415, 422, 429, 503)
  @HttpCode(201)
  @RequirePermission('write')
  @RateLimit('ingest')
  async ingest(
    @Param('orgId') orgId: string,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const prepared = prepareIngestEvent(this.audit, orgId, body);
    checkIdempotencyKey(key);
    let stored;
    try {
      stored =
        key === undefined
          ? { event: await this.audit.recordPrepared(prepared), replayed: false }
          : await this.idempotency.record(orgId, key, body, prepared);
    } catch (err) {
      // Not stored this time; the key (if any) is kept, so a retry stores it or finds it stored.
      unavailableOnWriteError(err, 'The event');
    }
    if (!('event' in stored))
      throw apiError(409, 'This Idempotency-Key was used with another body');
    if (stored.replayed) res.status(200);
    return { data: eventResource(stored.event, this.catalog, apiBase(req)) };
  }
}
