import { Controller, Get, Inject, UseFilters, UseGuards } from '@nestjs/common';
import { AdminAuthGuard } from '../admin-auth.guard';
import {
  AUDIT_ADMIN_RESOLVED_OPTIONS,
  ResolvedAuditAdminOptions,
} from '../audit-admin.module-definition';
import { ApiExceptionFilter } from '../../http/api-error';
import { ApiAdminAuth, ApiErrors, ApiJson } from '../../http/openapi/decorators';
import { ApiOperation, ApiParam, ApiTags } from '../../http/openapi/swagger';
import { RequirePermission } from '../../http/require-permission.decorator';

/**
 * The host's `viewer` options as the web UI reads them (docs/viewer.md). Per org, behind the
 * read permission, like the log it shapes: the templates name the host's internal pages.
 */
@Controller('admin/v1/orgs/:orgId')
@ApiTags('events')
@ApiAdminAuth()
@UseGuards(AdminAuthGuard)
@UseFilters(ApiExceptionFilter)
export class ViewerConfigController {
  constructor(
    @Inject(AUDIT_ADMIN_RESOLVED_OPTIONS) private readonly options: ResolvedAuditAdminOptions,
  ) {}

  @Get('viewer-config')
  @ApiOperation({ summary: "The web UI's target links and extra columns (org-admin)" })
  @ApiParam({ name: 'orgId', description: 'The organization.' })
  @ApiJson(200, 'ViewerConfig', 'The `viewer` options of the admin plugin.')
  @ApiErrors(401, 403, 503)
  @RequirePermission('read')
  config() {
    const { targetLinks, columns } = this.options.resolvedViewer;
    return { data: { targetLinks, columns } };
  }
}
