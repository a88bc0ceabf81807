import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { AUDIT_REQUEST_GUARD } from '../http/http.constants';
import { adminPluginMissingMessage } from './export.messages';

/**
 * The export routes answer to the admin plugin's guard (same tokens, sessions, CSRF check and
 * host principal), injected from `AuditAdminModule`, which is global for this reason: the export
 * module can then be imported beside it without repeating its options.
 */
@Injectable()
export class ExportAuthGuard implements CanActivate {
  constructor(@Optional() @Inject(AUDIT_REQUEST_GUARD) private readonly delegate?: CanActivate) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (!this.delegate) throw new Error(adminPluginMissingMessage());
    return this.delegate.canActivate(context) as Promise<boolean> | boolean;
  }

  /** Whether the admin plugin is there to delegate to. */
  isAvailable(): boolean {
    return this.delegate !== undefined;
  }
}
