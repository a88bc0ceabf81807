import { Body, Controller, Delete, Get, Param, Patch, Post, UseGuards } from '@nestjs/common';
import { Audit } from '@auditkit/nestjs';
import { policyTarget, userTarget } from '../audit/audit-targets';
import { DemoAuthGuard } from '../auth/demo-auth.guard';
import { PolicyUpdateResult, PolicyUsersResult, PolicyView } from '../directory/directory.models';
import { DirectoryStore } from '../directory/directory.store';
import { CreatePolicyDto, PolicyUsersDto, UpdatePolicyDto } from '../dto/policies.dto';

/** Security policies and the users they apply to ("security policies" activity). */
@Controller('orgs/:orgId/policies')
@UseGuards(DemoAuthGuard)
export class PoliciesController {
  constructor(private readonly directory: DirectoryStore) {}

  @Get()
  list(@Param('orgId') orgId: string): PolicyView[] {
    return this.directory.listPolicies(orgId);
  }

  @Post()
  @Audit<PolicyView>('policy_created', {
    targets: ({ result }) => policyTarget(result!),
    metadata: ({ result }) => ({ type: result!.type, settings: result!.settings }),
  })
  create(@Param('orgId') orgId: string, @Body() body: CreatePolicyDto): PolicyView {
    return this.directory.createPolicy(orgId, body);
  }

  @Patch(':policyId')
  @Audit<PolicyUpdateResult>('policy_updated', {
    targets: ({ result }) => policyTarget(result!.policy),
    metadata: ({ result }) => ({ changed: result!.changed, settings: result!.policy.settings }),
  })
  update(
    @Param('orgId') orgId: string,
    @Param('policyId') policyId: string,
    @Body() body: UpdatePolicyDto,
  ): PolicyUpdateResult {
    return this.directory.updatePolicy(orgId, policyId, body);
  }

  @Delete(':policyId')
  @Audit<PolicyView>('policy_deleted', {
    targets: ({ result }) => policyTarget(result!),
    metadata: ({ result }) => ({ type: result!.type, userCount: result!.userIds.length }),
  })
  remove(@Param('orgId') orgId: string, @Param('policyId') policyId: string): PolicyView {
    return this.directory.deletePolicy(orgId, policyId);
  }

  @Post(':policyId/users')
  @Audit<PolicyUsersResult>('users_added_to_policy', {
    targets: ({ result }) => [...result!.users.map(userTarget), policyTarget(result!.policy)],
  })
  addUsers(
    @Param('orgId') orgId: string,
    @Param('policyId') policyId: string,
    @Body() body: PolicyUsersDto,
  ): PolicyUsersResult {
    return this.directory.addPolicyUsers(orgId, policyId, body.userIds);
  }

  /** Takes the users in the body, as `POST` does: `DELETE .../users` with `{ "userIds": [...] }`. */
  @Delete(':policyId/users')
  @Audit<PolicyUsersResult>('users_removed_from_policy', {
    targets: ({ result }) => [...result!.users.map(userTarget), policyTarget(result!.policy)],
  })
  removeUsers(
    @Param('orgId') orgId: string,
    @Param('policyId') policyId: string,
    @Body() body: PolicyUsersDto,
  ): PolicyUsersResult {
    return this.directory.removePolicyUsers(orgId, policyId, body.userIds);
  }
}
