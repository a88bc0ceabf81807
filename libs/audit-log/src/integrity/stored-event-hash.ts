import { chainHash, EventRow, storedRowValues } from '../store/event-row';
import { eventHashV1, HashableEvent, UnhashableEventError } from './event-hash';

/** A stored event row with the integrity columns of format 1. */
export interface VerifiableRow extends EventRow {
  /** The hash format; null for format 0. */
  hash_v?: number | string | null;
  salt?: string | null;
}

/** The fields of a stored row as the format-1 hash sees them. */
export function rowToHashable(r: VerifiableRow): HashableEvent {
  return {
    id: r.id,
    orgId: r.org_id,
    seq: Number(r.seq),
    occurredAt: Number(r.occurred_at),
    recordedAt: Number(r.recorded_at),
    action: r.action,
    category: r.category,
    outcome: r.outcome,
    product: r.product,
    actor: { id: r.actor_id, type: r.actor_type, name: r.actor_name, email: r.actor_email },
    targets: JSON.parse(r.targets),
    site: r.site_id === null ? null : { id: r.site_id, name: r.site_name },
    location: { ip: r.ip, userAgent: r.user_agent },
    metadata: JSON.parse(r.metadata),
  };
}

/**
 * Recomputes a stored event's hash in the format it was written in, given the previous event's
 * hash. Answers with an error in words where the row cannot be hashed at all.
 */
export function storedEventHash(
  row: VerifiableRow,
  prevHash: string | null,
): { hash: string; error?: undefined } | { hash?: undefined; error: string } {
  if (row.hash === null) {
    return { error: 'the event has no hash (tamper evidence was off when it was written)' };
  }
  const format = row.hash_v === null || row.hash_v === undefined ? 0 : Number(row.hash_v);
  try {
    if (format === 0) return { hash: chainHash(prevHash, storedRowValues(row)) };
    if (format === 1) {
      if (!row.salt) return { error: 'the event has no salt, which its hash format needs' };
      return { hash: eventHashV1(rowToHashable(row), prevHash, { salt: row.salt }) };
    }
    return { error: `the event's hash format ${format} is not known to this version` };
  } catch (err) {
    if (err instanceof UnhashableEventError || err instanceof SyntaxError)
      return { error: `the event cannot be hashed: ${err.message}` };
    throw err;
  }
}
