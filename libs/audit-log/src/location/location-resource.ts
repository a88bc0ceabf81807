import type { AuditEventLocation } from '../event/audit-event.interface';

/**
 * An event's `attributes.location` in the admin API: the stored fields as they are, plus
 * Atlassian's deprecated `geo`, the names in one line ("Berlin, Berlin, Germany"), when any is
 * known, for clients written against it.
 */
export function locationResource(location: AuditEventLocation): AuditEventLocation & {
  geo?: string;
} {
  const names = [location.city, location.regionName, location.countryName].filter(
    (n): n is string => n !== undefined,
  );
  return names.length ? { ...location, geo: names.join(', ') } : { ...location };
}
