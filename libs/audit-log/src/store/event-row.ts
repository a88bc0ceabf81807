import { hash } from 'node:crypto';
import { AuditEvent, AuditTarget } from '../event/audit-event.interface';
import { NormalizedEvent } from '../event/event-normalizer';
import { hashTerm, normalizeTerm } from '../common/terms';
import type { HashableEvent } from '../integrity/event-hash';
import { EVENT_PROPERTIES, EventProperty, EVENTS_LAYOUT, RowOf } from './event-table';

/** A normalized event with its id and arrival time, waiting for a seq. */
export interface PreparedEvent extends NormalizedEvent {
  id: string;
  recordedAt: number;
}

/** A row of `auditkit_events` as the drivers return it (`SELECT *`). */
export type EventRow = RowOf<typeof EVENTS_LAYOUT>;

// Only these target types feed the exact-term search (users' and groups' names and e-mails).
const SEARCHABLE_TARGET_TYPES = new Set(['user', 'group']);

/** Hashed exact terms of an event: actor name and e-mail, user/group targets, site name. */
export function eventTerms(event: Pick<NormalizedEvent, 'actor' | 'targets' | 'site'>): string[] {
  const values: (string | undefined)[] = [event.actor.name, event.actor.email, event.site?.name];
  for (const t of event.targets) {
    if (SEARCHABLE_TARGET_TYPES.has(t.type)) values.push(t.name, t.email);
  }
  const terms = new Set<string>();
  for (const v of values) {
    if (!v) continue;
    const n = normalizeTerm(v);
    if (n) terms.add(hashTerm(n));
  }
  return [...terms];
}

/** Whether an event really carries the normalized term (guards against hash collisions). */
export function eventHasTerm(event: AuditEvent, normalized: string): boolean {
  const values: (string | undefined)[] = [event.actor.name, event.actor.email, event.site?.name];
  for (const t of event.targets) {
    if (SEARCHABLE_TARGET_TYPES.has(t.type)) values.push(t.name, t.email);
  }
  return values.some((v) => v !== undefined && normalizeTerm(v) === normalized);
}

/** The fields of a prepared event as the format-1 hash sees them (docs/integrity.md). */
export function preparedToHashable(e: PreparedEvent, seq: number): HashableEvent {
  return {
    id: e.id,
    orgId: e.orgId,
    seq,
    occurredAt: e.occurredAt,
    recordedAt: e.recordedAt,
    action: e.action,
    category: e.category,
    outcome: e.outcome,
    product: e.product,
    actor: e.actor,
    targets: e.targets,
    site: e.site,
    location: e.location,
    metadata: e.metadata,
  };
}

/** What the chain gives a row: its hash, the hash's format and its salt (all null when off). */
export interface ChainFields {
  hash: string | null;
  hashV: number | null;
  salt: string | null;
}

/** The chain fields of an event written with tamper evidence off. */
export const UNCHAINED: ChainFields = { hash: null, hashV: null, salt: null };

type Value = string | number | null;

// How a prepared event fills each column. Keyed by the layout's properties, so that a column
// added to the layout does not compile until it is given a value here.
const COLUMN_VALUES: {
  [P in EventProperty]: (e: PreparedEvent, seq: number, chain: ChainFields) => Value;
} = {
  id: (e) => e.id,
  orgId: (e) => e.orgId,
  seq: (_e, seq) => seq,
  occurredAt: (e) => e.occurredAt,
  recordedAt: (e) => e.recordedAt,
  action: (e) => e.action,
  category: (e) => e.category,
  actorId: (e) => e.actor.id,
  actorType: (e) => e.actor.type,
  actorName: (e) => e.actor.name ?? null,
  actorEmail: (e) => e.actor.email ?? null,
  targets: (e) => JSON.stringify(e.targets),
  siteId: (e) => e.site?.id ?? null,
  siteName: (e) => e.site?.name ?? null,
  product: (e) => e.product,
  ip: (e) => e.location.ip ?? null,
  userAgent: (e) => e.location.userAgent ?? null,
  outcome: (e) => e.outcome,
  metadata: (e) => JSON.stringify(e.metadata),
  hash: (_e, _seq, chain) => chain.hash,
  hashV: (_e, _seq, chain) => chain.hashV,
  salt: (_e, _seq, chain) => chain.salt,
  countryName: (e) => e.location.countryName ?? null,
  regionName: (e) => e.location.regionName ?? null,
  city: (e) => e.location.city ?? null,
};
const VALUE_OF = EVENT_PROPERTIES.map((p) => COLUMN_VALUES[p]);

/** The values of an event's row, in `EVENT_COLUMNS` order. */
export function eventRowValues(e: PreparedEvent, seq: number, chain: ChainFields): Value[] {
  const values: Value[] = new Array(VALUE_OF.length);
  for (let i = 0; i < VALUE_OF.length; i++) values[i] = VALUE_OF[i](e, seq, chain);
  return values;
}

/**
 * Format 0 of the tamper-evidence chain (events written before format 1, docs/integrity.md):
 * each hash covers the previous hash and every stored column. Kept to verify those events.
 */
export function chainHash(
  prevHash: string | null,
  values: readonly (string | number | null)[],
): string {
  return hash('sha256', `${prevHash ?? ''}\n${JSON.stringify(values)}`, 'hex');
}

/**
 * The row values of a stored row, for re-computing its format-0 chain hash. Written out, not
 * taken from the layout: format 0 covers these columns, in this order, whatever the table holds.
 */
export function storedRowValues(r: EventRow): (string | number | null)[] {
  return [
    r.id,
    r.org_id,
    Number(r.seq),
    Number(r.occurred_at),
    Number(r.recorded_at),
    r.action,
    r.category,
    r.actor_id,
    r.actor_type,
    r.actor_name,
    r.actor_email,
    r.targets,
    r.site_id,
    r.site_name,
    r.product,
    r.ip,
    r.user_agent,
    r.outcome,
    r.metadata,
  ];
}

function party(
  id: string,
  type: string,
  name: string | null | undefined,
  email: string | null | undefined,
) {
  const p: AuditTarget = { id, type };
  if (name !== null && name !== undefined) p.name = name;
  if (email !== null && email !== undefined) p.email = email;
  return p;
}

/** A stored row as the event of docs/api.md section 4. */
export function rowToEvent(r: EventRow): AuditEvent {
  const location: AuditEvent['location'] = {};
  if (r.ip !== null) location.ip = r.ip;
  if (r.user_agent !== null) location.userAgent = r.user_agent;
  // Absent (undefined) on rows read by a query written before the columns existed.
  if (r.country_name != null) location.countryName = r.country_name;
  if (r.region_name != null) location.regionName = r.region_name;
  if (r.city != null) location.city = r.city;
  return {
    id: r.id,
    orgId: r.org_id,
    seq: Number(r.seq),
    time: new Date(Number(r.occurred_at)).toISOString(),
    action: r.action,
    category: r.category,
    actor: party(r.actor_id, r.actor_type, r.actor_name, r.actor_email),
    targets: JSON.parse(r.targets),
    site:
      r.site_id === null
        ? null
        : r.site_name === null
          ? { id: r.site_id }
          : { id: r.site_id, name: r.site_name },
    product: r.product,
    location,
    outcome: r.outcome as AuditEvent['outcome'],
    metadata: JSON.parse(r.metadata),
  };
}

/** The event as just written, without reading it back. */
export function preparedToEvent(e: PreparedEvent, seq: number): AuditEvent {
  return {
    id: e.id,
    orgId: e.orgId,
    seq,
    time: new Date(e.occurredAt).toISOString(),
    action: e.action,
    category: e.category,
    actor: e.actor,
    targets: e.targets,
    site: e.site,
    product: e.product,
    location: e.location,
    outcome: e.outcome,
    metadata: e.metadata,
  };
}
