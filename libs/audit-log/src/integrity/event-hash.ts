import { createHash, hash, randomBytes } from 'node:crypto';
import { canonicalize } from './canonical-json';

/** The chain format every new event is written in. Specified in docs/integrity.md. */
export const EVENT_HASH_FORMAT = 1;

/** The fields of a stored event that the format-1 hash covers. */
export interface HashableEvent {
  id: string;
  orgId: string;
  seq: number;
  /** When it happened, epoch ms. */
  occurredAt: number;
  /** When AuditKit accepted it, epoch ms. */
  recordedAt: number;
  action: string;
  category: string;
  outcome: string;
  product: string | null;
  actor: { id: string; type: string; name?: string | null; email?: string | null };
  targets: { id: string; type: string; name?: string | null; email?: string | null }[];
  site: { id: string; name?: string | null } | null;
  location: { ip?: string | null; userAgent?: string | null };
  metadata: Record<string, unknown>;
}

/**
 * How the personal fields (names, e-mails, IP, user agent) enter the hash. They are covered by
 * salted commitments, not by their values, so that erasing one person's data later (value
 * removed, commitment kept) leaves every hash as it was.
 */
export interface CommitmentSource {
  /** The event's random salt (base64url); gone once any field of the event is erased. */
  salt: string | null;
  /** Commitments kept in place of erased values, by field path ("actor.email"). */
  erased?: Record<string, string>;
  /** Field salts (hex) of the fields still present, kept once the event salt is gone. */
  fieldSalts?: Record<string, string>;
}

/** A new event's salt: 128 random bits, base64url. */
export function newEventSalt(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * The personal fields of an event, in the order their salts are drawn: actor name and e-mail,
 * IP, user agent, then each target's name and e-mail.
 */
export function personalFieldPaths(targetCount: number): string[] {
  const paths = ['actor.name', 'actor.email', 'location.ip', 'location.userAgent'];
  for (let i = 0; i < targetCount; i++) paths.push(`targets.${i}.name`, `targets.${i}.email`);
  return paths;
}

/**
 * Every field salt of an event (16 bytes each, hex), from one SHAKE256 output over the event
 * salt. Handing out some of them reveals nothing of the others, nor of the event salt.
 */
export function fieldSalts(eventSalt: string, targetCount: number): Map<string, string> {
  const paths = personalFieldPaths(targetCount);
  const xof = createHash('shake256', { outputLength: 16 * paths.length })
    .update(`auditkit.field-salts.v1\u0000${eventSalt}`)
    .digest('hex');
  return new Map(paths.map((p, i) => [p, xof.slice(32 * i, 32 * i + 32)]));
}

/** The commitment to one personal field's value: SHA-256 of its salt and the value, hex. */
export function commitment(fieldSaltHex: string, value: string): string {
  return hash('sha256', `${fieldSaltHex}\u0000${value}`, 'hex');
}

/** Thrown when a stored row lacks what its hash needs (a salt or an erased field's commitment). */
export class UnhashableEventError extends Error {}

const str = JSON.stringify;

/**
 * The format-1 chain hash of an event: SHA-256 over a domain tag and the RFC 8785 canonical
 * JSON of the event's fields, its org, seq and the previous event's hash (docs/integrity.md).
 * The fixed part of that JSON is written out here in its canonical key order, since verifying
 * an org walks every event; the spec checks it against the generic `canonicalize`.
 */
export function eventHashV1(
  event: HashableEvent,
  prevHash: string | null,
  source: CommitmentSource,
): string {
  return hash('sha256', `auditkit.event.v1\n${eventHashInputV1(event, prevHash, source)}`, 'hex');
}

/** The canonical JSON text that `eventHashV1` hashes (exported for the spec and the docs). */
export function eventHashInputV1(
  event: HashableEvent,
  prevHash: string | null,
  source: CommitmentSource,
): string {
  const salts = source.salt !== null ? fieldSalts(source.salt, event.targets.length) : null;
  const commit = (path: string, value: string | null | undefined): string => {
    const erased = source.erased?.[path];
    if (erased !== undefined) return str(erased);
    if (value === null || value === undefined) return 'null';
    const salt = salts !== null ? salts.get(path) : source.fieldSalts?.[path];
    if (salt === undefined) throw new UnhashableEventError(`no salt for ${path}`);
    return str(commitment(salt, value));
  };
  const a = event.actor;
  const targets = event.targets.map(
    (t, i) =>
      `{"email":${commit(`targets.${i}.email`, t.email)},"id":${str(t.id)},"name":${commit(`targets.${i}.name`, t.name)},"type":${str(t.type)}}`,
  );
  const site =
    event.site === null
      ? 'null'
      : `{"id":${str(event.site.id)},"name":${event.site.name == null ? 'null' : str(event.site.name)}}`;
  return (
    `{"action":${str(event.action)}` +
    `,"actor":{"email":${commit('actor.email', a.email)},"id":${str(a.id)},"name":${commit('actor.name', a.name)},"type":${str(a.type)}}` +
    `,"category":${str(event.category)}` +
    `,"id":${str(event.id)}` +
    `,"location":{"ip":${commit('location.ip', event.location.ip)},"userAgent":${commit('location.userAgent', event.location.userAgent)}}` +
    `,"metadata":${canonicalize(event.metadata)}` +
    `,"org":${str(event.orgId)}` +
    `,"outcome":${str(event.outcome)}` +
    `,"prev":${prevHash === null ? 'null' : str(prevHash)}` +
    `,"product":${event.product === null ? 'null' : str(event.product)}` +
    `,"recorded":${canonicalize(event.recordedAt)}` +
    `,"seq":${canonicalize(event.seq)}` +
    `,"site":${site}` +
    `,"targets":[${targets.join(',')}]` +
    `,"time":${canonicalize(event.occurredAt)}` +
    `,"v":${EVENT_HASH_FORMAT}}`
  );
}
