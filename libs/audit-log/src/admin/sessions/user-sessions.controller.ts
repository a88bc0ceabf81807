import { Controller, Delete, Param, UseFilters, UseGuards } from '@nestjs/common';
import { AdminAuthGuard } from '../admin-auth.guard';
import { AdminAuthService } from '../admin-auth.service';
import { RequirePermission } from '../../http/require-permission.decorator';
import { apiError, ApiExceptionFilter, invalidParameter } from '../../http/api-error';
import { AdminSessionService } from './admin-session.service';
import { hostManagesSessionsMessage } from './session.messages';
import { ApiAdminAuth, ApiCsrfHeader, ApiErrors, ApiJson } from '../../http/openapi/decorators';
import { ApiOperation, ApiParam, ApiTags } from '../../http/openapi/swagger';

const MAX_USER_ID = 1024;

/**
 * `DELETE /admin/v1/orgs/{orgId}/users/{userId}/sessions`: an org admin ends every UI session of
 * a user (`sub`) that holds a role in the org, e.g. when the account is compromised or leaves.
 * Answers `{ data: { orgId, userId, ended } }`. Bearer tokens are not sessions: they run until
 * they expire.
 */
@Controller('admin/v1/orgs/:orgId/users/:userId/sessions')
@ApiTags('session')
@UseGuards(AdminAuthGuard)
@UseFilters(ApiExceptionFilter)
export class UserSessionsController {
  constructor(
    private readonly auth: AdminAuthService,
    private readonly sessions: AdminSessionService,
  ) {}

  @Delete()
  @ApiOperation({ summary: 'End every web UI session of a user (org-admin)' })
  @ApiAdminAuth()
  @ApiCsrfHeader()
  @ApiParam({ name: 'orgId', description: 'The organization.' })
  @ApiParam({ name: 'userId', description: 'The user (`sub`), at most 1024 characters.' })
  @ApiJson(200, 'UserSessionsEnded', 'How many sessions were ended.')
  @ApiErrors(400, 401, 403, 405, 503)
  @RequirePermission('manage')
  async endAll(@Param('orgId') orgId: string, @Param('userId') userId: string) {
    if (this.auth.hostMode) throw apiError(405, hostManagesSessionsMessage());
    if (userId.length > MAX_USER_ID) {
      throw invalidParameter('userId', `must be at most ${MAX_USER_ID} characters`);
    }
    const ended = await this.sessions.endAllOf(userId, orgId);
    return { data: { orgId, userId, ended } };
  }
}
