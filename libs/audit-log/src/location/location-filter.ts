import { LOCATION_FIELDS, LOCATION_NAME_MAX } from './location-resolver';

/**
 * One location of the `location` filter: the fields given must all equal the event's (exact,
 * case-sensitive, as events show them); fields left out match anything.
 */
export type LocationMatch = Partial<Record<(typeof LOCATION_FIELDS)[number], string>>;

/** Most locations in one filter. */
export const LOCATION_FILTER_MAX = 20;

const SQL_COLUMN = { countryName: 'country_name', regionName: 'region_name', city: 'city' };

/**
 * Reads the `location` filter as Atlassian's events API takes it: a JSON array of objects with
 * `countryName`, `regionName` and/or `city` (`[{"countryName":"Germany","city":"Berlin"}]`); a
 * single object stands for a list of one. In a query string it is JSON text (repeating the
 * parameter adds to the list); in an export's JSON body it may also be the array itself. An event
 * matches when it matches any of the locations. Answers the list, or what is wrong in words.
 */
export function parseLocationFilter(raw: unknown): LocationMatch[] | { error: string } {
  const entries: unknown[] = [];
  for (const part of ([] as unknown[]).concat(raw)) {
    let value = part;
    if (typeof part === 'string') {
      try {
        value = JSON.parse(part);
      } catch {
        return { error: 'must be a JSON array of {"countryName", "regionName", "city"} objects' };
      }
    }
    entries.push(...([] as unknown[]).concat(value));
  }
  if (entries.length === 0) return { error: 'must name at least one location' };
  if (entries.length > LOCATION_FILTER_MAX)
    return { error: `must name at most ${LOCATION_FILTER_MAX} locations` };
  const out: LocationMatch[] = [];
  for (const [i, entry] of entries.entries()) {
    if (!entry || typeof entry !== 'object' || Array.isArray(entry))
      return { error: `[${i}] must be an object with countryName, regionName and/or city` };
    const match: LocationMatch = {};
    for (const [key, value] of Object.entries(entry)) {
      if (!(LOCATION_FIELDS as readonly string[]).includes(key))
        return { error: `[${i}] has "${key}"; only countryName, regionName and city filter` };
      if (
        typeof value !== 'string' ||
        value === '' ||
        value.length > LOCATION_NAME_MAX ||
        !value.isWellFormed() ||
        value.includes('\0')
      )
        return {
          error: `[${i}].${key} must be a non-empty string of at most ${LOCATION_NAME_MAX} characters`,
        };
      match[key as keyof LocationMatch] = value;
    }
    if (Object.keys(match).length === 0)
      return { error: `[${i}] must give countryName, regionName or city` };
    out.push(match);
  }
  return out;
}

/** The SQL condition (on alias `e`) that an event matches one of the locations. */
export function locationCondition(matches: LocationMatch[]): { sql: string; params: string[] } {
  const params: string[] = [];
  const any = matches.map((m) => {
    const all = LOCATION_FIELDS.filter((f) => m[f] !== undefined).map((f) => {
      params.push(m[f]!);
      return `e.${SQL_COLUMN[f]} = ?`;
    });
    return `(${all.join(' AND ')})`;
  });
  return { sql: any.length === 1 ? any[0] : `(${any.join(' OR ')})`, params };
}

/** The index that serves a location filter alone, or undefined when none walks it in order. */
export function locationIndex(matches: LocationMatch[]): string | undefined {
  if (matches.length !== 1) return undefined;
  if (matches[0].city !== undefined) return 'idx_auditkit_events_org_city_time';
  if (matches[0].countryName !== undefined) return 'idx_auditkit_events_org_country_time';
  return undefined;
}
