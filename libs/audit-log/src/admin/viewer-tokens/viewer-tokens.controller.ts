import {
  Body,
  Controller,
  HttpCode,
  Param,
  Post,
  Res,
  UseFilters,
  UseGuards,
} from '@nestjs/common';
import type { Response } from 'express';
import { apiError, ApiExceptionFilter, invalidField, invalidParameter } from '../../http/api-error';
import { ApiAdminAuth, ApiCsrfHeader, ApiErrors } from '../../http/openapi/decorators';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '../../http/openapi/swagger';
import { RequirePermission } from '../../http/require-permission.decorator';
import { validateDto } from '../../http/validate-dto';
import type { JsonSchema } from '../../http/openapi/schemas';
import { AdminAuthGuard } from '../admin-auth.guard';
import { MintViewerTokenDto } from './mint-viewer-token.dto';
import {
  MintedViewerToken,
  ViewerTokenInputError,
  ViewerTokenService,
} from './viewer-token.service';

const list = { type: 'array', items: { type: 'string' } };
const token: JsonSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'The token id (`jti`).' },
    type: { const: 'viewer-tokens' },
    attributes: {
      type: 'object',
      properties: {
        token: {
          type: 'string',
          description: '`avt_<JWT>`: send it as `Authorization: Bearer <token>`. Not kept.',
        },
        expiresAt: { type: 'string', format: 'date-time' },
        orgId: { type: 'string' },
        narrowing: {
          type: 'object',
          properties: {
            actions: list,
            actors: list,
            products: list,
            from: { type: 'string', format: 'date-time' },
          },
          additionalProperties: false,
        },
        exportEmail: { type: 'string' },
      },
      required: ['token', 'expiresAt', 'orgId', 'narrowing'],
      additionalProperties: false,
    },
  },
  required: ['id', 'type', 'attributes'],
  additionalProperties: false,
};
const created = {
  type: 'object',
  properties: { data: token },
  required: ['data'],
  additionalProperties: false,
};

/**
 * Minting viewer tokens over REST, for hosts not written with Nest (docs/viewer.md). Org admins
 * only: an API key or a viewer token cannot mint one (`manage`).
 */
@Controller('admin/v1/orgs/:orgId/viewer-tokens')
@ApiTags('viewer-tokens')
@ApiAdminAuth()
@ApiParam({ name: 'orgId', description: 'The organization.' })
@UseGuards(AdminAuthGuard)
@UseFilters(ApiExceptionFilter)
export class ViewerTokensController {
  constructor(private readonly tokens: ViewerTokenService) {}

  @Post()
  @ApiOperation({ summary: 'Mint a read-only viewer token for the org (org-admin)' })
  @ApiBody({ type: MintViewerTokenDto, required: false })
  @ApiCsrfHeader()
  @ApiResponse({ status: 201, description: 'Minted.', schema: created })
  @ApiErrors(400, 401, 403, 404, 415)
  @HttpCode(201)
  @RequirePermission('manage')
  async mint(
    @Param('orgId') orgId: string,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ) {
    if (!this.tokens.enabled)
      throw apiError(
        404,
        'Viewer tokens are not enabled on this server (it has no secret to sign them with)',
        'viewer_tokens_disabled',
      );
    const dto = validateDto(MintViewerTokenDto, body ?? {}, 'pointer');
    let minted: MintedViewerToken;
    try {
      minted = await this.tokens.mint({ ...dto, orgId });
    } catch (err) {
      if (err instanceof ViewerTokenInputError) {
        const detail = err.message.slice(err.field.length + 1);
        if (err.field === 'orgId') throw invalidParameter('orgId', detail);
        throw invalidField(`/${err.field}`, detail);
      }
      throw err;
    }
    // The token must not sit in a cache on its way.
    res.setHeader('Cache-Control', 'no-store');
    return {
      data: {
        id: minted.id,
        type: 'viewer-tokens',
        attributes: {
          token: minted.token,
          expiresAt: minted.expiresAt.toISOString(),
          orgId: minted.orgId,
          narrowing: minted.narrowing,
          ...(minted.exportEmail !== undefined ? { exportEmail: minted.exportEmail } : {}),
        },
      },
    };
  }
}
