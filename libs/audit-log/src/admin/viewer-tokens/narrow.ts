import type { Request } from 'express';
import type { AuditViewerGrant } from '../../auth/audit-principal.interface';
import type { AuditEvent } from '../../event/audit-event.interface';
import { ApiException } from '../../http/api-error';
import { principalOf } from '../../http/principal';
import { asList, EventFilters } from '../../query/event-filters';

// The one place a viewer token's narrowing meets a request: GET events (with or without a
// cursor), events/{id}, events-histogram, events-stream and POST exports all go through here.

/** The viewer grant of the request's principal; undefined for anyone else. */
export function viewerOf(req: Request): AuditViewerGrant | undefined {
  return principalOf(req)?.viewer;
}

const DIMENSIONS = [
  ['actions', 'actions', 'action'],
  ['actors', 'actor', 'actor'],
  ['products', 'product', 'product'],
] as const;

/** 403 naming the parameter (or body field) that asks for more than the token shows. */
function outside(where: 'parameter' | 'pointer', field: string, detail: string): ApiException {
  return new ApiException(403, [
    {
      status: '403',
      code: 'outside_viewer_token',
      title: 'Not allowed',
      detail: `${field} ${detail}`,
      source: where === 'parameter' ? { parameter: field } : { pointer: `/${field}` },
    },
  ]);
}

/**
 * The filters a viewer's query runs with: each dimension the token narrows takes the token's
 * values when the query names none, and the query's when each is among them (else 403 naming
 * it); `from` earlier than the token's is a 403, none is the token's. Run it on the query as it
 * will run (after a cursor's query is resumed), so that no cursor, however it was made, widens
 * the token. `defaultFrom` is the route's own lower bound when the query has none.
 */
export function narrowFilters(
  filters: EventFilters,
  viewer: AuditViewerGrant | undefined,
  where: 'parameter' | 'pointer',
  defaultFrom?: number,
): EventFilters {
  if (!viewer) return filters;
  const n = viewer.narrowing;
  const out: EventFilters = { ...filters };
  for (const [key, field, name] of DIMENSIONS) {
    const allowed = n[key];
    if (!allowed) continue;
    const asked = out[field];
    if (asked === undefined || asked.length === 0) {
      out[field] = [...allowed];
      continue;
    }
    const extra = asList(asked).find((v) => !allowed.includes(v));
    if (extra !== undefined)
      throw outside(where, name, `"${extra}" is outside what this viewer token shows`);
  }
  if (n.from !== undefined) {
    const from = Date.parse(n.from);
    if (out.from === undefined) out.from = Math.max(from, defaultFrom ?? from);
    else if (out.from < from)
      throw outside(where, 'from', `is before ${n.from}, where this viewer token starts`);
  }
  return out;
}

/** Whether a viewer sees `event` (GET events/{id} answers 404 when not, as for another org's). */
export function viewerSees(event: AuditEvent, viewer: AuditViewerGrant | undefined): boolean {
  if (!viewer) return true;
  const n = viewer.narrowing;
  if (n.actions && !n.actions.includes(event.action)) return false;
  if (n.actors && !n.actors.includes(event.actor.id)) return false;
  if (n.products && !(event.product !== null && n.products.includes(event.product))) return false;
  if (n.from !== undefined && Date.parse(event.time) < Date.parse(n.from)) return false;
  return true;
}

/**
 * 403 for a narrowed viewer on a route that speaks of the whole org's log (the integrity report
 * counts and names events the token does not show); an unnarrowed viewer passes.
 */
export function requireWholeLog(viewer: AuditViewerGrant | undefined, what: string): void {
  if (viewer && Object.keys(viewer.narrowing).length)
    throw new ApiException(403, [
      {
        status: '403',
        code: 'outside_viewer_token',
        title: 'Not allowed',
        detail: `${what} covers the whole log, and this viewer token shows part of it`,
      },
    ]);
}
