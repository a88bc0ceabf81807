import { CanActivate, ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { AUDIT_REQUEST_GUARD } from '../http/http.constants';

/**
 * The destination routes answer to the admin plugin's guard (same tokens, sessions, CSRF check
 * and host principal), injected from the global `AuditAdminModule`, as the export routes do.
 */
@Injectable()
export class DestinationsAuthGuard implements CanActivate {
  constructor(@Optional() @Inject(AUDIT_REQUEST_GUARD) private readonly delegate?: CanActivate) {}

  canActivate(context: ExecutionContext): Promise<boolean> | boolean {
    if (!this.delegate)
      throw new Error(
        'AuditDestinationsModule: its routes need AuditAdminModule.forRoot() in the same app',
      );
    return this.delegate.canActivate(context) as Promise<boolean> | boolean;
  }
}
