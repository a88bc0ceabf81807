import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AdminAuthGuard } from '../admin/admin-auth.guard';
import { adminPluginMissingMessage } from './export.messages';

/**
 * The admin plugin's own `AdminAuthGuard` (same tokens, sessions, CSRF check and host
 * principal), looked up in the app instead of injected: the export module can then be imported
 * beside `AuditAdminModule.forRoot(...)` without repeating its options.
 */
@Injectable()
export class ExportAuthGuard implements CanActivate {
  private delegate?: CanActivate;

  constructor(private readonly moduleRef: ModuleRef) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (!this.delegate) {
      try {
        this.delegate = this.moduleRef.get(AdminAuthGuard, { strict: false });
      } catch {
        throw new Error(adminPluginMissingMessage());
      }
    }
    return this.delegate.canActivate(context) as Promise<boolean> | boolean;
  }

  /** Whether the admin plugin is there to delegate to. */
  isAvailable(): boolean {
    try {
      this.moduleRef.get(AdminAuthGuard, { strict: false });
      return true;
    } catch {
      return false;
    }
  }
}
