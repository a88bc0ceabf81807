import type { EventFilters } from '../query/event-filters';

/** Where an export is in its life (docs/api.md section 5). */
export type ExportStatus = 'queued' | 'running' | 'ready' | 'failed' | 'expired';

/**
 * What an export holds, fixed when it is requested so that every attempt writes the same bytes:
 * the filters, the cap, and the newest `seq` of the org at that moment.
 */
export interface ExportSpec {
  filters: EventFilters;
  /** Most data rows in the file. */
  maxRows: number;
  /** Only events with `seq` up to this one are exported: the log as it was when requested. */
  snapshotSeq: number;
}

/** A row of `auditkit_exports`, with times as epoch milliseconds. */
export interface ExportRecord {
  id: string;
  orgId: string;
  status: ExportStatus;
  spec: ExportSpec;
  requestedBy: string;
  requesterName: string | null;
  requesterEmail: string | null;
  createdAt: number;
  startedAt: number | null;
  readyAt: number | null;
  expiresAt: number | null;
  rowCount: number | null;
  truncated: boolean;
  storageKey: string | null;
  /**
   * When the mail was sent (positive), or minus the time a worker claimed it for sending and has
   * not yet confirmed (negative), or null when nobody has claimed it.
   */
  mailedAt: number | null;
  /** Processing attempts claimed so far (a worker that died mid-way counts). */
  attempts: number;
  error: string | null;
}

/** The status users see: a ready export past its expiry reads `expired` before cleanup runs. */
export function effectiveStatus(record: ExportRecord, now: number): ExportStatus {
  if (record.status === 'ready' && record.expiresAt !== null && record.expiresAt <= now) {
    return 'expired';
  }
  return record.status;
}

/** The storage key of an export's file. */
export function exportStorageKey(exportId: string): string {
  return `${exportId}.csv`;
}

/** The storage key of an export's signed manifest, kept beside its file. */
export function exportManifestKey(exportId: string): string {
  return `${exportId}.manifest.json`;
}
