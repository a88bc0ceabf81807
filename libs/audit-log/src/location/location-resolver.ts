// What the core knows of locations: the resolver a host plugs in, and how its answers are checked
// before they reach a stored event. No GeoIP data here: that is `./dbip-location-resolver.ts`,
// behind its own entry point, so that recording alone stays small.

/** Where an IP address is, as a location resolver answers (Atlassian's `location` fields). */
export interface AuditGeoLocation {
  /** The country, in English (`Germany`). */
  countryName?: string;
  /** The region, state or province, in English (`Bavaria`). */
  regionName?: string;
  city?: string;
}

/**
 * Looks an IP address up. Called synchronously on the recording path, once per event that has
 * an IP, so it must be fast (a local database, a cache); `null` or `undefined` when the address
 * is not known (private, reserved, missing from the data).
 */
export type AuditLocationResolver = (ip: string) => AuditGeoLocation | null | undefined;

/** The `location` option of `AuditLogModule.forRoot()`. */
export interface AuditLocationOptions {
  /**
   * Resolves an event's IP address to its country, region and city when it is recorded; they
   * are stored with the event and can be filtered on (`location` on GET events). The admin
   * app plugs in `dbIpLocationResolver()` from `@auditkit/nestjs/location`.
   * @default none: events keep `ip` and `userAgent` only
   */
  resolve?: AuditLocationResolver;
}

/** The longest country, region or city name stored (the columns are VARCHAR(128)). */
export const LOCATION_NAME_MAX = 128;

/** The location fields, in the order they are stored and matched. */
export const LOCATION_FIELDS = ['countryName', 'regionName', 'city'] as const;

function usableName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const v = value.trim();
  // A name the columns cannot hold exactly is left out rather than cut: it is derived data.
  if (!v || v.length > LOCATION_NAME_MAX || !v.isWellFormed() || v.includes('\0')) return undefined;
  return v;
}

/**
 * Wraps a host's resolver for the recording path: its answer is checked field by field, and a
 * resolver that throws costs the event its location, never the event itself.
 */
export function locator(
  resolve: AuditLocationResolver | undefined,
): ((ip: string) => AuditGeoLocation) | undefined {
  if (!resolve) return undefined;
  return (ip) => {
    let answer: unknown;
    try {
      answer = resolve(ip);
    } catch {
      return {};
    }
    const out: AuditGeoLocation = {};
    if (!answer || typeof answer !== 'object') return out;
    for (const field of LOCATION_FIELDS) {
      const name = usableName((answer as Record<string, unknown>)[field]);
      if (name !== undefined) out[field] = name;
    }
    return out;
  };
}
