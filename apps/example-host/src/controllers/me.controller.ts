import { Body, Controller, Delete, Post, Put, Req, UseGuards } from '@nestjs/common';
import { Audit } from '@auditkit/nestjs';
import { userTarget } from '../audit/audit-targets';
import { DemoAuthGuard } from '../auth/demo-auth.guard';
import type { DemoRequest } from '../auth/demo-user.interface';
import { ManagedAccountGuard } from '../auth/managed-account.guard';
import { AccountChangeResult } from '../directory/directory.models';
import { DirectoryStore } from '../directory/directory.store';
import {
  ChangeEmailDto,
  ChangeNameDto,
  ChangePasswordDto,
  EnableTwoStepDto,
} from '../dto/account.dto';

/**
 * The caller's own account ("user accounts" activity). The events go to the audit log of the
 * organization that manages the account: the module's default `resolveOrgId` reads
 * `req.user.orgId`, which the demo guard sets from the directory.
 */
@Controller('me')
@UseGuards(DemoAuthGuard, ManagedAccountGuard)
export class MeController {
  constructor(private readonly directory: DirectoryStore) {}

  @Put('email')
  @Audit<AccountChangeResult>('user_email_changed', {
    targets: ({ result }) => userTarget(result!.user),
    metadata: ({ result }) => ({ previousEmail: result!.previous, email: result!.user.email }),
  })
  changeEmail(@Req() req: DemoRequest, @Body() body: ChangeEmailDto): AccountChangeResult {
    return this.directory.changeEmail(req.user!.id, body.email);
  }

  @Put('name')
  @Audit<AccountChangeResult>('user_name_changed', {
    targets: ({ result }) => userTarget(result!.user),
    metadata: ({ result }) => ({ previousName: result!.previous, name: result!.user.name }),
  })
  changeName(@Req() req: DemoRequest, @Body() body: ChangeNameDto): AccountChangeResult {
    return this.directory.changeName(req.user!.id, body.name);
  }

  /** The event carries no metadata at all: neither password is ever part of it. */
  @Put('password')
  @Audit<AccountChangeResult>('user_password_changed', {
    targets: ({ result }) => userTarget(result!.user),
  })
  changePassword(@Req() req: DemoRequest, @Body() body: ChangePasswordDto): AccountChangeResult {
    return this.directory.changePassword(req.user!.id, body.currentPassword, body.newPassword);
  }

  @Post('two-step')
  @Audit<AccountChangeResult>('user_two_step_enabled', {
    targets: ({ result }) => userTarget(result!.user),
    metadata: ({ result }) => ({ method: result!.user.twoStepMethod }),
  })
  enableTwoStep(@Req() req: DemoRequest, @Body() body: EnableTwoStepDto): AccountChangeResult {
    return this.directory.setTwoStep(req.user!.id, body.method ?? 'authenticator-app');
  }

  @Delete('two-step')
  @Audit<AccountChangeResult>('user_two_step_disabled', {
    targets: ({ result }) => userTarget(result!.user),
    metadata: ({ result }) => ({ method: result!.previous }),
  })
  disableTwoStep(@Req() req: DemoRequest): AccountChangeResult {
    return this.directory.setTwoStep(req.user!.id, null);
  }
}
