import { describeFilters } from '../http/event-filters';
import type { AuditExport } from './audit-export.service';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** The link of an export resource under the API base. */
export function exportSelfLink(base: string, orgId: string, exportId: string): string {
  return `${base}/orgs/${encodeURIComponent(orgId)}/exports/${exportId}`;
}

/** An export as a resource of docs/api.md section 5 (GET /orgs/{orgId}/exports/{exportId}). */
export function exportResource(e: AuditExport, base: string) {
  return {
    id: e.id,
    type: 'exports',
    attributes: {
      status: e.status,
      filters: describeFilters(e.filters),
      requestedBy: e.requestedBy,
      createdAt: e.createdAt.toISOString(),
      startedAt: iso(e.startedAt),
      readyAt: iso(e.readyAt),
      expiresAt: iso(e.expiresAt),
      rowCount: e.rowCount,
      truncated: e.truncated,
    },
    links: { self: exportSelfLink(base, e.orgId, e.id) },
  };
}
