import { CanActivate, ExecutionContext, Injectable, NotFoundException } from '@nestjs/common';
import { DemoRequest } from './demo-user.interface';

/**
 * For `/me` routes: the caller must have an account an organization of the directory manages,
 * as that organization's audit log is where their account activity goes. Runs after
 * `DemoAuthGuard`, before anything is recorded.
 */
@Injectable()
export class ManagedAccountGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<DemoRequest>();
    if (!req.user?.orgId)
      throw new NotFoundException(`No managed account ${req.user?.id ?? ''}`.trim());
    return true;
  }
}
