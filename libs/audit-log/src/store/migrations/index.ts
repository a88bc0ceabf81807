import { AuditKitSchema1764000000000 } from './1764000000000-auditkit-schema';

/** The library's migrations, in order. Hosts may add them to their own TypeORM `migrations`. */
export const auditLogMigrations = [AuditKitSchema1764000000000];
