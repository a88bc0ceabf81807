import { ActionCatalog } from '../catalog/action-catalog';
import { AuditEvent } from '../event/audit-event.interface';
import { locationResource } from '../location/location-resource';

/** An event as a resource of docs/api.md section 5. */
export function eventResource(event: AuditEvent, catalog: ActionCatalog, base: string) {
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
        return { id: t.id, type: t.type, attributes };
      }),
      container: event.site
        ? [
            {
              id: event.site.id,
              type: 'site',
              attributes: event.site.name === undefined ? {} : { name: event.site.name },
            },
          ]
        : [],
      product: event.product,
      location: locationResource(event.location),
      outcome: event.outcome,
      metadata: event.metadata,
    },
    message: { content: catalog.render(event), format: 'simple' },
    links: { self: `${base}/orgs/${encodeURIComponent(event.orgId)}/events/${event.id}` },
  };
}
