import { hash } from 'node:crypto';
import { AuditEvent, AuditTarget } from '../event/audit-event.interface';
import { NormalizedEvent } from '../event/event-normalizer';
import { hashTerm, normalizeTerm } from '../common/terms';
import type { HashableEvent } from '../integrity/event-hash';

/** A normalized event with its id and arrival time, waiting for a seq. */
export interface PreparedEvent extends NormalizedEvent {
  id: string;
  recordedAt: number;
}

/** A row of `auditkit_events` as the drivers return it. */
export interface EventRow {
  id: string;
  org_id: string;
  seq: number | string;
  occurred_at: number | string;
  recorded_at: number | string;
  action: string;
  category: string;
  actor_id: string;
  actor_type: string;
  actor_name: string | null;
  actor_email: string | null;
  targets: string;
  site_id: string | null;
  site_name: string | null;
  product: string | null;
  ip: string | null;
  user_agent: string | null;
  outcome: string;
  metadata: string;
  hash: string | null;
}

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

/** The values of an event row, in `EVENT_COLUMNS` order, up to the integrity columns. */
export function eventRowValues(e: PreparedEvent, seq: number): (string | number | null)[] {
  return [
    e.id,
    e.orgId,
    seq,
    e.occurredAt,
    e.recordedAt,
    e.action,
    e.category,
    e.actor.id,
    e.actor.type,
    e.actor.name ?? null,
    e.actor.email ?? null,
    JSON.stringify(e.targets),
    e.site?.id ?? null,
    e.site?.name ?? null,
    e.product,
    e.location.ip ?? null,
    e.location.userAgent ?? null,
    e.outcome,
    JSON.stringify(e.metadata),
  ];
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

/** The row values of a stored row, for re-computing its chain hash. */
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
