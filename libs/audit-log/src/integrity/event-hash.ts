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

// One call to the CSPRNG per 256 salts instead of per salt: it is a syscall-sized cost, paid
// once per event on the write path (a bulk of 1,000 spent 4 % of its CPU there).
const SALT_BYTES = 16;
const POOL_SALTS = 256;
let saltPool = Buffer.alloc(0);
let saltOffset = 0;

/** A new event's salt: 128 random bits, base64url. */
export function newEventSalt(): string {
  if (saltOffset + SALT_BYTES > saltPool.length) {
    saltPool = randomBytes(SALT_BYTES * POOL_SALTS);
    saltOffset = 0;
  }
  const salt = saltPool.toString('base64url', saltOffset, saltOffset + SALT_BYTES);
  saltOffset += SALT_BYTES;
  return salt;
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
  return hashInputV1(event, canonicalize(event.metadata), prevHash, source);
}

/**
 * `eventHashV1` of an event whose metadata is given as its canonical JSON text, as a verifier
 * reading stored rows has it (`canonicalizeJsonText`), so that it is not parsed and written again.
 */
export function eventHashV1WithMetadataText(
  event: Omit<HashableEvent, 'metadata'>,
  canonicalMetadata: string,
  prevHash: string | null,
  source: CommitmentSource,
): string {
  return hash(
    'sha256',
    `auditkit.event.v1\n${hashInputV1(event, canonicalMetadata, prevHash, source)}`,
    'hex',
  );
}

// The path of personal field i, in `personalFieldPaths` order (only needed to name one).
function fieldPath(i: number): string {
  if (i < 4) return FIXED_PATHS[i];
  return `targets.${(i - 4) >> 1}.${(i - 4) & 1 ? 'email' : 'name'}`;
}
const FIXED_PATHS = ['actor.name', 'actor.email', 'location.ip', 'location.userAgent'];

function hashInputV1(
  event: Omit<HashableEvent, 'metadata'>,
  metadata: string,
  prevHash: string | null,
  source: CommitmentSource,
): string {
  // Field salt i is bytes 16i..16i+15 of one SHAKE256 output (see `fieldSalts`), taken by
  // index: no path strings or maps on the common path.
  const xof =
    source.salt !== null
      ? createHash('shake256', { outputLength: 16 * (4 + 2 * event.targets.length) })
          .update(`auditkit.field-salts.v1\u0000${source.salt}`)
          .digest('hex')
      : null;
  const erased = source.erased;
  const commit = (i: number, value: string | null | undefined): string => {
    if (erased != null) {
      const kept = erased[fieldPath(i)];
      if (kept !== undefined) return str(kept);
    }
    if (value === null || value === undefined) return 'null';
    const salt = xof !== null ? xof.slice(32 * i, 32 * i + 32) : source.fieldSalts?.[fieldPath(i)];
    if (salt === undefined) throw new UnhashableEventError(`no salt for ${fieldPath(i)}`);
    return `"${hash('sha256', `${salt}\u0000${value}`, 'hex')}"`;
  };
  const a = event.actor;
  let targets = '';
  for (let i = 0; i < event.targets.length; i++) {
    const t = event.targets[i];
    if (i > 0) targets += ',';
    targets += `{"email":${commit(5 + 2 * i, t.email)},"id":${str(t.id)},"name":${commit(4 + 2 * i, t.name)},"type":${str(t.type)}}`;
  }
  const site =
    event.site === null
      ? 'null'
      : `{"id":${str(event.site.id)},"name":${event.site.name == null ? 'null' : str(event.site.name)}}`;
  return (
    `{"action":${str(event.action)}` +
    `,"actor":{"email":${commit(1, a.email)},"id":${str(a.id)},"name":${commit(0, a.name)},"type":${str(a.type)}}` +
    `,"category":${str(event.category)}` +
    `,"id":${str(event.id)}` +
    `,"location":{"ip":${commit(2, event.location.ip)},"userAgent":${commit(3, event.location.userAgent)}}` +
    `,"metadata":${metadata}` +
    `,"org":${str(event.orgId)}` +
    `,"outcome":${str(event.outcome)}` +
    `,"prev":${prevHash === null ? 'null' : str(prevHash)}` +
    `,"product":${event.product === null ? 'null' : str(event.product)}` +
    `,"recorded":${num(event.recordedAt)}` +
    `,"seq":${num(event.seq)}` +
    `,"site":${site}` +
    `,"targets":[${targets}]` +
    `,"time":${num(event.occurredAt)}` +
    `,"v":${EVENT_HASH_FORMAT}}`
  );
}

// `canonicalize` of a number, without its generic walk: String() writes a finite number as
// JSON.stringify does (-0 as 0 included), and is faster.
function num(n: number): string {
  return typeof n === 'number' && Number.isFinite(n) ? String(n) : canonicalize(n);
}
