import { ActionCatalog } from '../catalog/action-catalog';
import { AuditEvent } from '../event/audit-event.interface';
import { locationResource } from '../location/location-resource';

// The object types the exact-term search `q` matches (docs/api.md section 5).
const SEARCHABLE = new Set(['user', 'group', 'site']);

/**
 * The `links` of a context or container item (Atlassian's `LinkSelfAltModel`). AuditKit has no
 * resource for users, groups or sites, so there is no `self`; `alt` is this org's events searched
 * for the object (its e-mail, else its name) where `q` can find it, and nothing otherwise.
 */
function objectLinks(
  eventsUrl: string,
  type: string,
  name: string | undefined,
  email: string | undefined,
): { alt?: string } {
  const term = email ?? name;
  if (!SEARCHABLE.has(type) || term === undefined || term.trim() === '') return {};
  return { alt: `${eventsUrl}?${new URLSearchParams({ q: term })}` };
}

/** An event as a resource of docs/api.md section 5. */
export function eventResource(event: AuditEvent, catalog: ActionCatalog, base: string) {
  const eventsUrl = `${base}/orgs/${encodeURIComponent(event.orgId)}/events`;
  return {
    id: event.id,
    type: 'events',
    attributes: {
      time: event.time,
      seq: event.seq,
      action: event.action,
      category: event.category,
      actor: event.actor,
      context: event.targets.map((t) => {
        const attributes: { name?: string; email?: string } = {};
        if (t.name !== undefined) attributes.name = t.name;
        if (t.email !== undefined) attributes.email = t.email;
        return {
          id: t.id,
          type: t.type,
          attributes,
          links: objectLinks(eventsUrl, t.type, t.name, t.email),
        };
      }),
      container: event.site
        ? [
            {
              id: event.site.id,
              type: 'site',
              attributes: event.site.name === undefined ? {} : { name: event.site.name },
              links: objectLinks(eventsUrl, 'site', event.site.name, undefined),
            },
          ]
        : [],
      product: event.product,
      location: locationResource(event.location),
      outcome: event.outcome,
      metadata: event.metadata,
    },
    message: { content: catalog.render(event), format: 'simple' },
    links: { self: `${eventsUrl}/${event.id}` },
  };
}
