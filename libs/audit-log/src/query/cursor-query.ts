import { createHash } from 'node:crypto';
import type { LocationMatch } from '../location/location-filter';
import type { EventFilters } from './event-filters';

// The canonical form of the query a cursor carries: what goes into it, its digest, and lists
// compared whatever their order. The codec (cursor.ts) signs and reads it.

/** A short digest of the filters a cursor belongs to (the org included). */
export function filtersKey(orgId: string, f: EventFilters, withDates = true): string {
  const canonical = JSON.stringify([
    orgId,
    f.q ?? null,
    withDates ? (f.from ?? null) : null,
    withDates ? (f.to ?? null) : null,
    sortedList(f.actions),
    f.category ?? null,
    sortedList(f.actor),
    sortedList(f.ip),
    sortedList(f.product),
    // Left out when absent, so that the digests of cursors made before these existed hold.
    ...(f.locations ? [locationsKey(f.locations)] : []),
    ...(f.sortOrder ? [f.sortOrder] : []),
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** The `location` filter in a canonical form: each match's fields in order, matches sorted. */
export function locationsKey(locations: readonly LocationMatch[]): string {
  const each = locations.map((l) =>
    JSON.stringify([l.countryName ?? null, l.regionName ?? null, l.city ?? null]),
  );
  return JSON.stringify([...new Set(each)].sort());
}

/**
 * A list filter as a sorted list, or null. Also takes the single string that an export's stored
 * filters held for `actor`, `ip` and `product` before they became lists.
 */
export function sortedList(v: readonly string[] | string | undefined): string[] | null {
  if (v === undefined) return null;
  return typeof v === 'string' ? [v] : [...new Set(v)].sort();
}

/** The filters without absent ones, lists sorted: what a cursor carries. */
export function compact(f: EventFilters): EventFilters {
  const out: EventFilters = {};
  if (f.q !== undefined) out.q = f.q;
  if (f.from !== undefined) out.from = f.from;
  if (f.to !== undefined) out.to = f.to;
  if (f.actions) out.actions = sortedList(f.actions)!;
  if (f.category !== undefined) out.category = f.category;
  if (f.actor) out.actor = sortedList(f.actor)!;
  if (f.ip) out.ip = sortedList(f.ip)!;
  if (f.product) out.product = sortedList(f.product)!;
  if (f.locations) out.locations = f.locations;
  if (f.sortOrder !== undefined) out.sortOrder = f.sortOrder;
  return out;
}

export function withoutUndefined(f: EventFilters): EventFilters {
  return Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as EventFilters;
}
