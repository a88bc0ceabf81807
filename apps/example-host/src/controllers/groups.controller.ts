import { Body, Controller, Delete, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { Audit } from '@auditkit/nestjs';
import { groupTarget, userTarget } from '../audit/audit-targets';
import { DemoAuthGuard } from '../auth/demo-auth.guard';
import { GroupMembershipResult, GroupRenameResult, GroupView } from '../directory/directory.models';
import { DirectoryStore } from '../directory/directory.store';
import { CreateGroupDto, RenameGroupDto } from '../dto/groups.dto';
import { UserRefDto } from '../dto/users.dto';

/** Groups and their members ("groups" activity). */
@Controller('orgs/:orgId/groups')
@UseGuards(DemoAuthGuard)
export class GroupsController {
  constructor(private readonly directory: DirectoryStore) {}

  @Get()
  list(@Param('orgId') orgId: string): GroupView[] {
    return this.directory.listGroups(orgId);
  }

  @Post()
  @Audit<GroupView>('group_created', { targets: ({ result }) => groupTarget(result!) })
  create(@Param('orgId') orgId: string, @Body() body: CreateGroupDto): GroupView {
    return this.directory.createGroup(orgId, body.name, body.description);
  }

  @Patch(':groupId')
  @Audit<GroupRenameResult>('group_renamed', {
    targets: ({ result }) => groupTarget(result!.group),
    metadata: ({ result }) => ({ previousName: result!.previousName }),
  })
  rename(
    @Param('orgId') orgId: string,
    @Param('groupId') groupId: string,
    @Body() body: RenameGroupDto,
  ): GroupRenameResult {
    return this.directory.renameGroup(orgId, groupId, body.name);
  }

  @Delete(':groupId')
  @Audit<GroupView>('group_deleted', {
    targets: ({ result }) => groupTarget(result!),
    metadata: ({ result }) => ({ memberCount: result!.memberIds.length }),
  })
  remove(@Param('orgId') orgId: string, @Param('groupId') groupId: string): GroupView {
    return this.directory.deleteGroup(orgId, groupId);
  }

  @Post(':groupId/members')
  @Audit<GroupMembershipResult>('user_added_to_group', {
    targets: ({ result }) => [userTarget(result!.user), groupTarget(result!.group)],
  })
  addMember(
    @Param('orgId') orgId: string,
    @Param('groupId') groupId: string,
    @Body() body: UserRefDto,
  ): GroupMembershipResult {
    return this.directory.addGroupMember(orgId, groupId, body.userId);
  }

  @Delete(':groupId/members/:userId')
  @Audit<GroupMembershipResult>('user_removed_from_group', {
    targets: ({ result }) => [userTarget(result!.user), groupTarget(result!.group)],
  })
  removeMember(
    @Param('orgId') orgId: string,
    @Param('groupId') groupId: string,
    @Param('userId') userId: string,
  ): GroupMembershipResult {
    return this.directory.removeGroupMember(orgId, groupId, userId);
  }
}
