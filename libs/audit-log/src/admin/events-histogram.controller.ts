import { Controller, Get, Inject, Param, Query, Req, UseFilters, UseGuards } from '@nestjs/common';
import type { Request } from 'express';
import { ActionCatalog } from '../catalog/action-catalog';
import { ApiExceptionFilter, invalidParameter } from '../http/api-error';
import { toEventFilters } from '../http/event-filters';
import { ApiAdminAuth, ApiErrors, ApiEventFilterQuery, ApiJson } from '../http/openapi/decorators';
import { ApiOperation, ApiParam, ApiQuery, ApiTags } from '../http/openapi/swagger';
import { RateLimit } from '../http/rate-limit.decorator';
import { RateLimitGuard } from '../http/rate-limit.guard';
import { RequirePermission } from '../http/require-permission.decorator';
import { validateDto } from '../http/validate-dto';
import {
  EventHistogramService,
  HISTOGRAM_INTERVAL_MS,
  HISTOGRAM_MAX_BUCKETS,
  HistogramInterval,
  histogramBuckets,
} from '../query/event-histogram.service';
import { AdminAuthGuard } from './admin-auth.guard';
import { narrowFilters, viewerOf } from './viewer-tokens/narrow';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from './audit-admin.module-definition';
import {
  EventHistogramQueryDto,
  formatUtcOffset,
  parseUtcOffset,
  UTC_OFFSET_MESSAGE,
} from './events-histogram-query.dto';

const DAY = HISTOGRAM_INTERVAL_MS.day;
/** The range without `from`: the 30 days up to `to`. */
const DEFAULT_RANGE = 30 * DAY;
/** Up to this range, hours by default; past it, days. */
const HOURLY_UP_TO = 3 * DAY;

/** GET events-histogram: the activity chart's counts (docs/api.md). */
@Controller('admin/v1/orgs/:orgId')
@ApiTags('events')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(AdminAuthGuard, RateLimitGuard)
@UseFilters(ApiExceptionFilter)
export class EventsHistogramController {
  constructor(
    private readonly histograms: EventHistogramService,
    private readonly catalog: ActionCatalog,
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
  ) {}

  @Get('events-histogram')
  @ApiOperation({
    summary: 'Events per hour or day and category for the filters of GET events (org-admin)',
  })
  @ApiEventFilterQuery()
  @ApiQuery({
    name: 'interval',
    required: false,
    description: `Bucket width. Default: hour for a range up to 3 days, else day. At most ${HISTOGRAM_MAX_BUCKETS} buckets.`,
    schema: { type: 'string', enum: ['hour', 'day'] },
  })
  @ApiQuery({
    name: 'utcOffset',
    required: false,
    description:
      'Buckets start at the hour / midnight of this offset (±HH:MM, default +00:00); a fixed offset, daylight saving is not followed.',
    schema: { type: 'string', pattern: '^[+-]\\d{2}:\\d{2}$' },
  })
  @ApiJson(200, 'EventHistogram', 'Every bucket of the range, oldest first, empty ones included.')
  @ApiErrors(400, 401, 403, 429, 503)
  @RequirePermission('read')
  @RateLimit('reads')
  async histogram(
    @Param('orgId') orgId: string,
    @Query() raw: Record<string, unknown>,
    @Req() req: Request,
  ) {
    const dto = validateDto(EventHistogramQueryDto, raw, 'parameter');
    const sent = toEventFilters(dto, this.catalog, 'parameter');
    let offsetMinutes = 0;
    if (dto.utcOffset !== undefined) {
      const parsed = parseUtcOffset(dto.utcOffset);
      if (parsed === undefined) throw invalidParameter('utcOffset', UTC_OFFSET_MESSAGE);
      offsetMinutes = parsed;
    }
    const to = sent.to ?? this.options.clock.now().getTime();
    // A viewer token starting later than the default range starts the chart there.
    const filters = narrowFilters(sent, viewerOf(req), 'parameter', to - DEFAULT_RANGE + 1);
    const from = filters.from ?? to - DEFAULT_RANGE + 1;
    if (from > to) throw invalidParameter('from', 'must not be after to');
    const interval: HistogramInterval = dto.interval ?? (to - from < HOURLY_UP_TO ? 'hour' : 'day');
    const { count } = histogramBuckets(from, to, interval, offsetMinutes);
    if (count > HISTOGRAM_MAX_BUCKETS) {
      const field = dto.interval === undefined ? 'from' : 'interval';
      throw invalidParameter(
        field,
        `makes ${count} ${interval} buckets from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}; at most ${HISTOGRAM_MAX_BUCKETS}: narrow the range${interval === 'hour' ? ' or use interval=day' : ''}`,
      );
    }
    const known = this.catalog.listCategories();
    const categories = filters.category ? [filters.category] : known.map((c) => c.id);
    const result = await this.histograms.histogram(orgId, {
      filters: { ...filters, from: undefined, to: undefined },
      from,
      to,
      interval,
      offsetMinutes,
      categories,
    });
    // Categories seen in the data but gone from the catalog (a host removed one) stay listed.
    const listed = new Set(categories);
    for (const b of result.buckets) for (const c of Object.keys(b.byCategory)) listed.add(c);
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      data: result.buckets.map((b) => ({
        start: iso(b.start),
        end: iso(b.end),
        total: b.total,
        byCategory: b.byCategory,
      })),
      meta: {
        interval,
        utcOffset: formatUtcOffset(offsetMinutes),
        from: iso(from),
        to: iso(to),
        total: result.total,
        source: result.source,
        categories: [...listed].map((id) => ({
          id,
          displayName: this.catalog.getCategory(id)?.displayName ?? id,
        })),
      },
    };
  }
}
