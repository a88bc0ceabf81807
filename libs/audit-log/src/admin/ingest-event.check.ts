// A fast path in front of class-validator for the bodies of POST events and each item of a bulk.
//
// class-validator (with class-transformer's copy) costs 30 to 70 µs an event, most of it
// garbage: on a bulk of 1,000 it was the largest share of the request's CPU, and the GC it
// caused the next one. This check allocates nothing and recognises only bodies that are plainly
// well-formed: known keys, each of the type the DTO takes. Whatever it does not recognise goes
// to class-validator as before, which stays the judge of every refusal and of its message, so
// this can only skip work, never change an answer. `ingest-event.check.spec.ts` holds it to
// that: no body it passes is refused by the DTO.

const EVENT_KEYS = new Set([
  'action',
  'actor',
  'targets',
  'site',
  'product',
  'location',
  'outcome',
  'metadata',
  'time',
  'category',
]);
const PARTY_KEYS = new Set(['id', 'type', 'name', 'email']);
const SITE_KEYS = new Set(['id', 'name']);
const LOCATION_KEYS = new Set(['ip', 'userAgent']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Own keys all in `allowed`, `required` ones strings, the rest absent or strings. */
function isStringsOnly(v: unknown, allowed: Set<string>, required?: string): boolean {
  if (!isRecord(v)) return false;
  if (required !== undefined && typeof v[required] !== 'string') return false;
  for (const key in v) {
    if (!Object.prototype.hasOwnProperty.call(v, key)) return false;
    if (!allowed.has(key) || typeof v[key] !== 'string') return false;
  }
  return true;
}

/**
 * True when `body` is certainly what `IngestEventDto` takes; false means "ask class-validator",
 * not "invalid". The limits, the catalog and redaction are the normalizer's, after either.
 */
export function isPlainIngestEvent(body: unknown): boolean {
  if (!isRecord(body) || Object.getPrototypeOf(body) !== Object.prototype) return false;
  for (const key in body) {
    if (!Object.prototype.hasOwnProperty.call(body, key) || !EVENT_KEYS.has(key)) return false;
  }
  if (typeof body.action !== 'string') return false;
  if (!isStringsOnly(body.actor, PARTY_KEYS, 'id')) return false;
  const { targets, site, product, location, outcome, metadata, time, category } = body;
  if (targets !== undefined) {
    if (!Array.isArray(targets)) return false;
    for (const t of targets) if (!isStringsOnly(t, PARTY_KEYS, 'id')) return false;
  }
  if (site !== undefined && site !== null && !isStringsOnly(site, SITE_KEYS, 'id')) return false;
  if (product !== undefined && product !== null && typeof product !== 'string') return false;
  if (location !== undefined && !isStringsOnly(location, LOCATION_KEYS)) return false;
  if (outcome !== undefined && outcome !== 'success' && outcome !== 'failure') return false;
  // Free-form: the DTO asks only for an object; depth is checked before either path.
  if (metadata !== undefined && !isRecord(metadata)) return false;
  if (time !== undefined && typeof time !== 'string' && typeof time !== 'number') return false;
  if (category !== undefined && typeof category !== 'string') return false;
  return true;
}
