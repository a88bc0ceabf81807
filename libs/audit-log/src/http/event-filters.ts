import { ActionCatalog } from '../catalog/action-catalog';
import { normalizeTerm } from '../common/terms';
import { parseLocationFilter } from '../location/location-filter';
import { asList, EventFilters, EventFiltersDto, parseInstant } from '../query/event-filters';
import { invalidField, invalidParameter } from './api-error';

/**
 * Turns checked raw filters into query filters: dates parsed, `from` <= `to`, actions and
 * category known to the catalog. `where` says how errors name the field.
 */
export function toEventFilters(
  dto: EventFiltersDto,
  catalog: ActionCatalog,
  where: 'parameter' | 'pointer',
): EventFilters {
  const bad = (field: string, detail: string) =>
    where === 'parameter' ? invalidParameter(field, detail) : invalidField(`/${field}`, detail);
  const f: EventFilters = {};
  if (dto.q !== undefined) {
    const q = normalizeTerm(dto.q);
    if (!q.isWellFormed()) throw bad('q', 'contains a lone surrogate (not valid Unicode)');
    if (q) f.q = q;
  }
  for (const key of ['from', 'to'] as const) {
    const raw = dto[key];
    if (raw === undefined) continue;
    const ms = parseInstant(raw);
    if (ms === undefined) throw bad(key, 'is not a valid date-time');
    f[key] = ms;
  }
  if (f.from !== undefined && f.to !== undefined && f.from > f.to) {
    throw bad('from', 'must not be after to');
  }
  if (dto.action?.length) {
    for (const a of dto.action) {
      if (!catalog.getAction(a))
        throw bad('action', `"${a}" is not a known action (see event-actions)`);
    }
    f.actions = [...new Set(dto.action)];
  }
  if (dto.category !== undefined) {
    if (!catalog.getCategory(dto.category)) {
      throw bad(
        'category',
        `must be one of: ${catalog
          .listCategories()
          .map((c) => c.id)
          .join(', ')}`,
      );
    }
    f.category = dto.category;
  }
  // Lists (a comma list, or the parameter repeated), each value checked by the DTO; an empty
  // list (`actor=`) is no filter, as for `action`.
  if (dto.actor?.length) f.actor = [...new Set(dto.actor)];
  if (dto.ip?.length) f.ip = [...new Set(dto.ip)];
  if (dto.product?.length) f.product = [...new Set(dto.product)];
  if (dto.location !== undefined) {
    const locations = parseLocationFilter(dto.location);
    if ('error' in locations) throw bad('location', locations.error);
    f.locations = locations;
  }
  return f;
}

/** Filters as echoed back (e.g. in an export's attributes): dates as ISO strings, lists as lists. */
export function describeFilters(f: EventFilters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (f.q !== undefined) out.q = f.q;
  if (f.from !== undefined) out.from = new Date(f.from).toISOString();
  if (f.to !== undefined) out.to = new Date(f.to).toISOString();
  if (f.actions) out.action = f.actions;
  if (f.category !== undefined) out.category = f.category;
  if (f.actor !== undefined) out.actor = asList(f.actor);
  if (f.ip !== undefined) out.ip = asList(f.ip);
  if (f.product !== undefined) out.product = asList(f.product);
  if (f.locations !== undefined) out.location = f.locations;
  return out;
}
