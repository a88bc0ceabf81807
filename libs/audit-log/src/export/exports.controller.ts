import {
  Body,
  Controller,
  Get,
  HttpCode,
  Inject,
  Param,
  Query,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { principalOf } from '../http/principal';
import { RequirePermission } from '../http/require-permission.decorator';
import { apiError, ApiExceptionFilter, invalidParameter } from '../http/api-error';
import { apiBase } from '../http/api-base';
import { describeFilters, toEventFilters } from '../http/event-filters';
import { RateLimit } from '../http/rate-limit.decorator';
import { RateLimitGuard } from '../http/rate-limit.guard';
import { validateDto } from '../http/validate-dto';
import { ActionCatalog } from '../catalog/action-catalog';
import { narrowFilters, viewerOf } from '../admin/viewer-tokens/narrow';
import { AuditWriteError } from '../exceptions/audit-write.exception';
import { EventFiltersDto } from '../query/event-filters';
import { clientIp, userAgent } from '../recording/request-event';
import { AuditExportService } from './audit-export.service';
import { ExportAuthGuard } from './export-auth.guard';
import { exportResource, exportSelfLink } from './export-resource';
import { AUDIT_EXPORT_QUEUE } from './export.internal-constants';
import type { ExportJobQueue } from './queue/export-job-queue.interface';
import { ApiAdminAuth, ApiCsrfHeader, ApiErrors, ApiJson } from '../http/openapi/decorators';
import { ApiBody, ApiOperation, ApiParam, ApiQuery, ApiTags } from '../http/openapi/swagger';

/** POST and GET of exports (docs/api.md section 5); org admins only. */
@Controller('admin/v1/orgs/:orgId/exports')
@ApiTags('exports')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(ExportAuthGuard, RateLimitGuard)
@UseFilters(ApiExceptionFilter)
export class ExportsController {
  constructor(
    private readonly exports: AuditExportService,
    private readonly catalog: ActionCatalog,
    @Inject(AUDIT_EXPORT_QUEUE) private readonly queue: ExportJobQueue,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Queue an export of the matching events, e-mailed to the requester' })
  @ApiBody({ type: EventFiltersDto, required: false })
  @ApiCsrfHeader()
  @ApiJson(202, 'ExportDocument', 'Queued.', {
    Location: { description: 'The export resource.', schema: { type: 'string' } },
  })
  @ApiErrors(400, 401, 403, 413, 415, 422, 429, 503)
  @HttpCode(202)
  @RequirePermission('export')
  @RateLimit('exports')
  async create(
    @Param('orgId') orgId: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    // No body at all means "export everything", like GET events without a query.
    const dto = validateDto(EventFiltersDto, body ?? {}, 'pointer');
    // A viewer's export holds what the viewer sees, and goes to the token's e-mail (its principal's).
    const filters = narrowFilters(
      toEventFilters(dto, this.catalog, 'pointer'),
      viewerOf(req),
      'pointer',
    );
    const principal = principalOf(req);
    if (!principal.email) {
      throw apiError(
        422,
        'Exports are e-mailed to the admin who asks for them, and this token has no "email" claim. Sign in with a token that carries your e-mail address.',
        'email_required',
      );
    }
    // Refused with 503 (nothing stored, nothing mailed later) while the queue cannot take the
    // job; should Redis go down after this check, the stored export is queued by recovery.
    await this.queue.ping();
    let created;
    try {
      created = await this.exports.request({
        orgId,
        filters,
        requester: { id: principal.sub, name: principal.name, email: principal.email },
        location: { ip: clientIp(req), userAgent: userAgent(req) },
      });
    } catch (err) {
      if (err instanceof AuditWriteError)
        throw apiError(503, 'The export could not be recorded; try again.');
      throw err;
    }
    const self = exportSelfLink(apiBase(req), orgId, created.id);
    res.setHeader('Location', self);
    return {
      data: {
        id: created.id,
        type: 'exports',
        attributes: {
          status: 'queued',
          filters: describeFilters(filters),
          requestedBy: principal.sub,
          createdAt: created.createdAt.toISOString(),
        },
        links: { self },
      },
    };
  }

  @Get()
  @ApiOperation({
    summary: "The org's recent exports, newest first, with their status (org-admin)",
  })
  @ApiQuery({
    name: 'limit',
    required: false,
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  })
  @ApiJson(200, 'ExportList', 'The newest exports.')
  @ApiErrors(400, 401, 403, 503)
  @RequirePermission('export')
  async recent(
    @Param('orgId') orgId: string,
    @Query('limit') rawLimit: unknown,
    @Req() req: Request,
  ) {
    let limit = 20;
    if (rawLimit !== undefined) {
      limit = typeof rawLimit === 'string' && /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : 0;
      if (limit < 1 || limit > 100)
        throw invalidParameter('limit', 'must be a whole number from 1 to 100');
    }
    const base = apiBase(req);
    return { data: (await this.exports.recent(orgId, limit)).map((e) => exportResource(e, base)) };
  }

  @Get(':exportId')
  @ApiOperation({ summary: 'One export and its status (org-admin)' })
  @ApiParam({ name: 'exportId', description: 'The export id.' })
  @ApiJson(200, 'ExportDocument', 'The export.')
  @ApiErrors(401, 403, 404, 503)
  @RequirePermission('export')
  async one(
    @Param('orgId') orgId: string,
    @Param('exportId') exportId: string,
    @Req() req: Request,
  ) {
    const found = await this.exports.get(orgId, exportId);
    if (!found) throw apiError(404, `No export ${exportId} in this organization`);
    return { data: exportResource(found, apiBase(req)) };
  }
}
