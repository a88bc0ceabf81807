import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { apiBase } from '../http/api-base';
import { ApiExceptionFilter, invalidBody } from '../http/api-error';
import { ApiAdminAuth, ApiCsrfHeader, ApiErrors } from '../http/openapi/decorators';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '../http/openapi/swagger';
import { RequirePermission } from '../http/require-permission.decorator';
import { DestinationBody } from './destination-fields';
import {
  destinationResource,
  DESTINATION_CREATE_SCHEMA,
  DESTINATION_DOCUMENT_SCHEMA,
  DESTINATION_LIST_SCHEMA,
  DESTINATION_TEST_SCHEMA,
} from './destination-resource';
import { DestinationsAuthGuard } from './destinations-auth.guard';
import { DestinationsService } from './destinations.service';

const one = (description: string) =>
  ApiResponse({ status: 200, description, schema: DESTINATION_DOCUMENT_SCHEMA });

/**
 * An org's destinations (docs/destinations.md): org admins create, list, change, pause, resume,
 * test and delete them. Secrets are write-only.
 */
@Controller('admin/v1/orgs/:orgId/destinations')
@ApiTags('destinations')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(DestinationsAuthGuard)
@UseFilters(ApiExceptionFilter)
export class DestinationsController {
  constructor(private readonly destinations: DestinationsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a destination that events are streamed to (org-admin)',
    description:
      '`{ "type": "webhook", "url": "https://...", "secret": "..." }`, or `splunk_hec` with `url` and `token`, `syslog` with `host`, `file` with `path`; ' +
      'the fields of each type are in docs/destinations.md.',
  })
  @ApiBody({ schema: DESTINATION_CREATE_SCHEMA })
  @ApiCsrfHeader()
  @ApiResponse({
    status: 201,
    description: 'Created; delivery starts within a poll interval.',
    schema: DESTINATION_DOCUMENT_SCHEMA,
    headers: { Location: { description: 'The destination.', schema: { type: 'string' } } },
  })
  @ApiErrors(400, 401, 403, 413, 415, 422, 503)
  @RequirePermission('manage')
  async create(
    @Param('orgId') orgId: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const view = await this.destinations.create(orgId, objectBody(body));
    const data = destinationResource(view, apiBase(req));
    res.setHeader('Location', data.links.self);
    return { data };
  }

  @Get()
  @ApiOperation({
    summary: "The org's destinations with their cursor, lag and last error (org-admin)",
  })
  @ApiResponse({ status: 200, description: 'Oldest first.', schema: DESTINATION_LIST_SCHEMA })
  @ApiErrors(401, 403, 503)
  @RequirePermission('manage')
  async list(@Param('orgId') orgId: string, @Req() req: Request) {
    const views = await this.destinations.list(orgId);
    return { data: views.map((v) => destinationResource(v, apiBase(req))) };
  }

  @Get(':destinationId')
  @ApiOperation({ summary: 'One destination (org-admin)' })
  @ApiParam({ name: 'destinationId', description: 'The destination id.' })
  @one('The destination.')
  @ApiErrors(401, 403, 404, 503)
  @RequirePermission('manage')
  async one(
    @Param('orgId') orgId: string,
    @Param('destinationId') id: string,
    @Req() req: Request,
  ) {
    return { data: destinationResource(await this.destinations.get(orgId, id), apiBase(req)) };
  }

  @Patch(':destinationId')
  @ApiOperation({
    summary: 'Change a destination (org-admin)',
    description:
      'The fields given replace those stored (a secret too); `null` clears an optional one. The cursor stays.',
  })
  @ApiParam({ name: 'destinationId', description: 'The destination id.' })
  @ApiBody({ schema: { ...DESTINATION_CREATE_SCHEMA, required: [] } })
  @ApiCsrfHeader()
  @one('The destination as changed.')
  @ApiErrors(400, 401, 403, 404, 413, 415, 422, 503)
  @RequirePermission('manage')
  async update(
    @Param('orgId') orgId: string,
    @Param('destinationId') id: string,
    @Body() body: unknown,
    @Req() req: Request,
  ) {
    const view = await this.destinations.update(orgId, id, objectBody(body));
    return { data: destinationResource(view, apiBase(req)) };
  }

  @Delete(':destinationId')
  @ApiOperation({ summary: 'Delete a destination (org-admin)' })
  @ApiParam({ name: 'destinationId', description: 'The destination id.' })
  @ApiCsrfHeader()
  @ApiResponse({ status: 204, description: 'Deleted.' })
  @ApiErrors(401, 403, 404, 503)
  @HttpCode(204)
  @RequirePermission('manage')
  async remove(@Param('orgId') orgId: string, @Param('destinationId') id: string) {
    await this.destinations.remove(orgId, id);
  }

  @Post(':destinationId/pause')
  @ApiOperation({ summary: 'Pause delivery; events wait for resume, none is skipped (org-admin)' })
  @ApiParam({ name: 'destinationId', description: 'The destination id.' })
  @ApiCsrfHeader()
  @one('The destination, paused.')
  @ApiErrors(401, 403, 404, 503)
  @HttpCode(200)
  @RequirePermission('manage')
  async pause(
    @Param('orgId') orgId: string,
    @Param('destinationId') id: string,
    @Req() req: Request,
  ) {
    return { data: destinationResource(await this.destinations.pause(orgId, id), apiBase(req)) };
  }

  @Post(':destinationId/resume')
  @ApiOperation({
    summary: 'Resume delivery from the cursor, at once, with the failure count cleared (org-admin)',
  })
  @ApiParam({ name: 'destinationId', description: 'The destination id.' })
  @ApiCsrfHeader()
  @one('The destination, active.')
  @ApiErrors(401, 403, 404, 503)
  @HttpCode(200)
  @RequirePermission('manage')
  async resume(
    @Param('orgId') orgId: string,
    @Param('destinationId') id: string,
    @Req() req: Request,
  ) {
    return { data: destinationResource(await this.destinations.resume(orgId, id), apiBase(req)) };
  }

  @Post(':destinationId/test')
  @ApiOperation({
    summary: 'Send a test delivery without events; the cursor does not move (org-admin)',
  })
  @ApiParam({ name: 'destinationId', description: 'The destination id.' })
  @ApiCsrfHeader()
  @ApiResponse({
    status: 200,
    description: 'Whether the receiver took it.',
    schema: DESTINATION_TEST_SCHEMA,
  })
  @ApiErrors(401, 403, 404, 503)
  @HttpCode(200)
  @RequirePermission('manage')
  async test(@Param('orgId') orgId: string, @Param('destinationId') id: string) {
    const result = await this.destinations.test(orgId, id);
    return { data: { type: 'destination-tests', attributes: result } };
  }
}

function objectBody(body: unknown): DestinationBody {
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalidBody('The body must be a JSON object');
  return body as DestinationBody;
}
