import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import { apiBase } from '../../http/api-base';
import { apiError, ApiExceptionFilter } from '../../http/api-error';
import { principalOf } from '../../http/principal';
import { RequirePermission } from '../../http/require-permission.decorator';
import { validateDto } from '../../http/validate-dto';
import { ApiAdminAuth, ApiCsrfHeader, ApiErrors } from '../../http/openapi/decorators';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '../../http/openapi/swagger';
import { AuditWriteError } from '../../exceptions/audit-write.exception';
import { clientIp, userAgent } from '../../recording/request-event';
import { AdminAuthGuard } from '../admin-auth.guard';
import { apiKeyResource, apiKeySchema } from './api-key-resource';
import { API_KEY_MAX_ACTIVE, ApiKeyScope, ApiKeyService } from './api-key.service';
import { CreateApiKeyDto } from './create-api-key.dto';

const one = (withSecret: boolean) => ({
  type: 'object',
  properties: { data: apiKeySchema(withSecret) },
  required: ['data'],
  additionalProperties: false,
});

/**
 * Org API keys (docs/api.md, API keys): org admins create, list and revoke them; a key itself
 * can do none of that (`manage`).
 */
@Controller('admin/v1/orgs/:orgId/api-keys')
@ApiTags('api-keys')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(AdminAuthGuard)
@UseFilters(ApiExceptionFilter)
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  @Post()
  @ApiOperation({ summary: 'Create an API key; its secret is in this answer only (org-admin)' })
  @ApiBody({ type: CreateApiKeyDto })
  @ApiCsrfHeader()
  @ApiResponse({ status: 201, description: 'Created.', schema: one(true) })
  @ApiErrors(400, 401, 403, 409, 415, 503)
  @HttpCode(201)
  @RequirePermission('manage')
  async create(
    @Param('orgId') orgId: string,
    @Body() body: unknown,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ) {
    const dto = validateDto(CreateApiKeyDto, body, 'pointer');
    let created;
    try {
      created = await this.keys.create(
        orgId,
        {
          name: dto.name.trim(),
          scopes: dto.scope as ApiKeyScope[],
          expiresInDays: dto.expiresInDays,
        },
        principalOf(req),
        { ip: clientIp(req), userAgent: userAgent(req) },
      );
    } catch (err) {
      // The key and its activity commit together: neither is stored.
      if (err instanceof AuditWriteError)
        throw apiError(503, 'The key could not be created; try again');
      throw err;
    }
    if ('tooMany' in created)
      throw apiError(
        409,
        `The organization has ${API_KEY_MAX_ACTIVE} active API keys; revoke one first`,
      );
    const resource = apiKeyResource(created.key, apiBase(req), created.secret);
    res.setHeader('Location', resource.links.self);
    // The secret must not sit in a cache on its way.
    res.setHeader('Cache-Control', 'no-store');
    return { data: resource };
  }

  @Get()
  @ApiOperation({ summary: "The org's API keys, newest first, with their last use (org-admin)" })
  @ApiResponse({
    status: 200,
    description: 'Every key, revoked and expired ones too.',
    schema: {
      type: 'object',
      properties: { data: { type: 'array', items: apiKeySchema(false) } },
      required: ['data'],
      additionalProperties: false,
    },
  })
  @ApiErrors(401, 403, 503)
  @RequirePermission('manage')
  async list(@Param('orgId') orgId: string, @Req() req: Request) {
    const base = apiBase(req);
    return { data: (await this.keys.list(orgId)).map((k) => apiKeyResource(k, base)) };
  }

  @Delete(':keyId')
  @ApiOperation({ summary: 'Revoke an API key, at once (org-admin)' })
  @ApiParam({ name: 'keyId', description: 'The key id (`data.id` of its creation).' })
  @ApiCsrfHeader()
  @ApiResponse({ status: 200, description: 'The key, revoked.', schema: one(false) })
  @ApiErrors(401, 403, 404, 503)
  @RequirePermission('manage')
  async revoke(@Param('orgId') orgId: string, @Param('keyId') keyId: string, @Req() req: Request) {
    let key;
    try {
      key = await this.keys.revoke(orgId, keyId, principalOf(req), {
        ip: clientIp(req),
        userAgent: userAgent(req),
      });
    } catch (err) {
      if (err instanceof AuditWriteError)
        throw apiError(503, 'The key could not be revoked; try again');
      throw err;
    }
    if (!key) throw apiError(404, `No API key ${keyId} in this organization`);
    return { data: apiKeyResource(key, apiBase(req)) };
  }
}
