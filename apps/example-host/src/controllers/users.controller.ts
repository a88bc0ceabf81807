import { Body, Controller, Delete, Get, Param, Post, UseGuards } from '@nestjs/common';
import { Audit } from '@auditkit/nestjs';
import { siteOf, userTarget } from '../audit/audit-targets';
import { DemoAuthGuard } from '../auth/demo-auth.guard';
import { UserSiteResult, UserView } from '../directory/directory.models';
import { DirectoryStore } from '../directory/directory.store';
import { InviteUserDto } from '../dto/users.dto';

/** The organization's users: invitations and removals ("site and product users" activity). */
@Controller('orgs/:orgId/users')
@UseGuards(DemoAuthGuard)
export class UsersController {
  constructor(private readonly directory: DirectoryStore) {}

  @Get()
  list(@Param('orgId') orgId: string): UserView[] {
    return this.directory.listUsers(orgId);
  }

  /** Invites a user to a site: the account is created, with access to that site. */
  @Post('invite')
  @Audit<UserSiteResult>('user_invited', {
    targets: ({ result }) => userTarget(result!.user),
    site: ({ result }) => siteOf(result!.site),
  })
  invite(@Param('orgId') orgId: string, @Body() body: InviteUserDto): UserSiteResult {
    return this.directory.inviteUser(orgId, body);
  }

  /** Removes the user from the organization (its sites, groups and policies). */
  @Delete(':userId')
  @Audit<UserSiteResult>('user_removed', {
    targets: ({ result }) => userTarget(result!.user),
    site: ({ result }) => siteOf(result!.site),
  })
  remove(@Param('orgId') orgId: string, @Param('userId') userId: string): UserSiteResult {
    return this.directory.removeUser(orgId, userId);
  }
}
