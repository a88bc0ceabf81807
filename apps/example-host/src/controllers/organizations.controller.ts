import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
  Req,
  UseGuards,
} from '@nestjs/common';
import { Audit } from '@auditkit/nestjs';
import { domainTarget, userTarget } from '../audit/audit-targets';
import { DemoAuthGuard } from '../auth/demo-auth.guard';
import type { DemoRequest } from '../auth/demo-user.interface';
import { DomainView, OrgView, SettingChangeResult, UserView } from '../directory/directory.models';
import { DirectoryStore } from '../directory/directory.store';
import { ChangeSettingDto, CreateOrgDto } from '../dto/organization.dto';

/** The organization: its settings, domains and admins ("organization" activity). */
@Controller('orgs/:orgId')
@UseGuards(DemoAuthGuard)
export class OrganizationsController {
  constructor(private readonly directory: DirectoryStore) {}

  /**
   * Creates the organization with the caller (who must send `x-user-name` and `x-user-email`) as
   * its first admin, or returns it as it is. Not recorded: no built-in action covers it.
   */
  @Put()
  createOrg(
    @Param('orgId') orgId: string,
    @Body() body: CreateOrgDto,
    @Req() req: DemoRequest,
  ): OrgView {
    const { id, name, email } = req.user!;
    if (!name || !email) {
      throw new BadRequestException([
        'x-user-name and x-user-email are needed to create an organization',
      ]);
    }
    return this.directory.ensureOrg(orgId, body.name, { id, name, email });
  }

  @Get()
  getOrg(@Param('orgId') orgId: string): OrgView {
    return this.directory.getOrg(orgId);
  }

  @Put('settings/:setting')
  @Audit<SettingChangeResult>('org_settings_changed', {
    metadata: ({ result }) => ({
      setting: result!.setting,
      previousValue: result!.previousValue,
      value: result!.value,
    }),
  })
  changeSetting(
    @Param('orgId') orgId: string,
    @Param('setting') setting: string,
    @Body() body: ChangeSettingDto,
  ): SettingChangeResult {
    return this.directory.changeSetting(orgId, setting, body.value);
  }

  @Get('domains')
  listDomains(@Param('orgId') orgId: string): DomainView[] {
    return this.directory.listDomains(orgId);
  }

  @Post('domains/:domain/verify')
  @HttpCode(200)
  @Audit<DomainView>('domain_verified', {
    targets: ({ result }) => domainTarget(result!.domain),
    metadata: () => ({ method: 'dns-txt' }),
  })
  verifyDomain(@Param('orgId') orgId: string, @Param('domain') domain: string): DomainView {
    return this.directory.verifyDomain(orgId, domain);
  }

  @Put('admins/:userId')
  @Audit<UserView>('org_admin_granted', { targets: ({ result }) => userTarget(result!) })
  grantAdmin(@Param('orgId') orgId: string, @Param('userId') userId: string): UserView {
    return this.directory.grantOrgAdmin(orgId, userId);
  }

  @Delete('admins/:userId')
  @Audit<UserView>('org_admin_revoked', { targets: ({ result }) => userTarget(result!) })
  revokeAdmin(@Param('orgId') orgId: string, @Param('userId') userId: string): UserView {
    return this.directory.revokeOrgAdmin(orgId, userId);
  }
}
