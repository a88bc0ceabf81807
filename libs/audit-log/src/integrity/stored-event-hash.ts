import { EVENT_COLUMNS } from '../store/event-table';
import { chainHash, EventRow, storedRowValues } from '../store/event-row';
import { canonicalizeJsonText } from './canonical-json';
import { eventHashV1WithMetadataText, HashableEvent, UnhashableEventError } from './event-hash';

/** A stored event row, with the integrity columns of format 1 (`hash_v`, `salt`). */
export type VerifiableRow = EventRow;

/** The fields of a stored row as the format-1 hash sees them. */
export function rowToHashable(r: VerifiableRow): HashableEvent {
  return { ...rowFields(r), metadata: JSON.parse(r.metadata) };
}

function rowFields(r: VerifiableRow): Omit<HashableEvent, 'metadata'> {
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
    targets: parseTargets(r.targets),
    site: r.site_id === null ? null : { id: r.site_id, name: r.site_name },
    location: { ip: r.ip, userAgent: r.user_agent },
  };
}

function parseTargets(text: string): HashableEvent['targets'] {
  const targets: unknown = JSON.parse(text);
  if (!Array.isArray(targets) || !targets.every((t) => t !== null && typeof t === 'object'))
    throw new UnhashableEventError('its targets are not a list of objects');
  return targets;
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
      // Stored metadata is usually canonical already; then it is hashed as it stands.
      const fields = rowFields(row);
      const metadata = canonicalizeJsonText(row.metadata);
      return {
        hash: eventHashV1WithMetadataText(fields, metadata, prevHash, { salt: row.salt }),
      };
    }
    return { error: `the event's hash format ${format} is not known to this version` };
  } catch (err) {
    // A stored row is anyone's to edit: what it holds must be reported, never crash the check
    // (a TypeError here is a number JSON cannot hold exactly, such as 1e400).
    if (
      err instanceof UnhashableEventError ||
      err instanceof SyntaxError ||
      err instanceof TypeError
    )
      return { error: `the event cannot be hashed: ${err.message}` };
    throw err;
  }
}

/** This module's file: what a verification worker thread loads (`checkStoredRows`). */
export const STORED_EVENT_HASH_MODULE = __filename;

/**
 * The columns `checkStoredRows` takes, in order: every stored column, which is every column a
 * hash format covers.
 */
export const VERIFIED_COLUMNS = EVENT_COLUMNS;

/**
 * What checking one stored row found: 0 when its recomputed hash is the stored one, 1 when it
 * differs, or why it cannot be hashed.
 */
export type RowCheck = 0 | 1 | string;

/** The event before a row in the chain: its seq and stored hash. */
export interface ChainLink {
  seq: number;
  hash: string | null;
}

/**
 * Checks a stored row's hash, chained to `prev` when `prev` is the event just before it (and
 * to nothing otherwise: a gap is the caller's to report).
 */
export function checkStoredRow(row: VerifiableRow, prev: ChainLink | null): RowCheck {
  const linked = prev !== null && prev.seq + 1 === Number(row.seq) ? prev.hash : null;
  const recomputed = storedEventHash(row, linked);
  if (recomputed.error !== undefined) return recomputed.error;
  return recomputed.hash === row.hash ? 0 : 1;
}

/**
 * `checkStoredRow` over a run of rows given as arrays in `VERIFIED_COLUMNS` order, each chained
 * to the row before it and the first to `prev`. A run needs nothing from outside but `prev`,
 * so runs can be checked in parallel (what a verification worker thread does).
 */
export function checkStoredRows(rows: readonly unknown[][], prev: ChainLink | null): RowCheck[] {
  const checks: RowCheck[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rowFromArray(rows[i]);
    checks[i] = checkStoredRow(row, prev);
    prev = { seq: Number(row.seq), hash: row.hash };
  }
  return checks;
}

/** A row given as an array in `VERIFIED_COLUMNS` order, as an object keyed by column. */
function rowFromArray(v: readonly unknown[]): VerifiableRow {
  const row: Record<string, unknown> = {};
  for (let i = 0; i < VERIFIED_COLUMNS.length; i++) row[VERIFIED_COLUMNS[i]] = v[i];
  return row as VerifiableRow;
}
