import { AuditKitSchema1764000000000 } from './1764000000000-auditkit-schema';
import { AuditKitAdminSessions1764100000000 } from './1764100000000-admin-sessions';
import { AuditKitIntegrity1765000000000 } from './1765000000000-integrity';
import { AuditKitLocation1766000000000 } from './1766000000000-location';
import { AuditKitDestinations1767000000000 } from './1767000000000-destinations';
import { AuditKitApiKeys1768000000000 } from './1768000000000-api-keys';
import { AuditKitActivityRollup1769000000000 } from './1769000000000-activity-rollup';

/** The library's migrations, in order. Hosts may add them to their own TypeORM `migrations`. */
export const auditLogMigrations = [
  AuditKitSchema1764000000000,
  AuditKitAdminSessions1764100000000,
  AuditKitIntegrity1765000000000,
  AuditKitLocation1766000000000,
  AuditKitDestinations1767000000000,
  AuditKitApiKeys1768000000000,
  AuditKitActivityRollup1769000000000,
];
