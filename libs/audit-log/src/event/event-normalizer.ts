import { isIP } from 'node:net';
import { ActionCatalog } from '../catalog/action-catalog';
import { AuditValidationError } from '../exceptions/audit-validation.exception';
import {
  AuditActor,
  AuditEventInput,
  AuditEventLocation,
  AuditOutcome,
  AuditSite,
  AuditTarget,
} from './audit-event.interface';
import { redact } from './redact';

/** Limits applied to every event, whatever path it came by. */
export const EVENT_LIMITS = {
  orgId: 64,
  id: 255,
  type: 64,
  name: 1024,
  email: 320,
  product: 64,
  userAgent: 1024,
  targets: 100,
  metadataBytes: 16 * 1024,
  metadataDepth: 8,
} as const;

const ORG_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const MAX_FUTURE_MS = 24 * 3600 * 1000;

/** An event checked, redacted and completed, ready for the writer (no id or seq yet). */
export interface NormalizedEvent {
  orgId: string;
  action: string;
  category: string;
  occurredAt: number;
  actor: AuditActor;
  targets: AuditTarget[];
  site: AuditSite | null;
  product: string | null;
  location: AuditEventLocation;
  outcome: AuditOutcome;
  metadata: Record<string, unknown>;
}

function fail(field: string, detail: string): never {
  throw new AuditValidationError(field, detail);
}

function text(value: unknown, field: string, max: number, required: boolean): string | undefined {
  if (value === undefined || value === null || (value === '' && !required)) {
    if (required) fail(field, 'is required');
    return undefined;
  }
  if (typeof value !== 'string') fail(field, 'must be a string');
  if (required && value.trim() === '') fail(field, 'must not be empty');
  if (value.length > max) fail(field, `must be at most ${max} characters (got ${value.length})`);
  if (!value.isWellFormed()) fail(field, 'contains a lone surrogate (not valid Unicode)');
  // NUL cannot survive every consumer (C strings, CSV writers); refuse it rather than alter it.
  if (value.includes('\u0000')) fail(field, 'contains a NUL character');
  return value;
}

function party<T extends AuditActor | AuditTarget>(
  value: unknown,
  field: string,
  defaultType?: string,
): T {
  if (!value || typeof value !== 'object' || Array.isArray(value)) fail(field, 'must be an object');
  const v = value as Record<string, unknown>;
  const out: AuditTarget = {
    id: text(v.id, `${field}.id`, EVENT_LIMITS.id, true)!,
    type: text(v.type ?? defaultType, `${field}.type`, EVENT_LIMITS.type, true)!,
  };
  const name = text(v.name, `${field}.name`, EVENT_LIMITS.name, false);
  const email = text(v.email, `${field}.email`, EVENT_LIMITS.email, false);
  if (name !== undefined) out.name = name;
  if (email !== undefined) out.email = email;
  return out as T;
}

function time(value: AuditEventInput['time'], now: number): number {
  if (value === undefined || value === null) return now;
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) {
    // JavaScript reads a date-time without an offset as local time; events are UTC everywhere.
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(value) ? value : `${value}Z`);
  } else fail('time', 'must be an ISO 8601 date-time or epoch milliseconds');
  if (!Number.isInteger(ms) || ms < 0) fail('time', 'is not a valid date-time');
  if (ms > now + MAX_FUTURE_MS) fail('time', 'is more than a day in the future');
  return ms;
}

/** Walks metadata: plain JSON only, at most 8 levels deep. */
function checkJson(value: unknown, field: string, depth: number): void {
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(field, 'must be a finite number');
    return;
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) fail(field, 'contains a lone surrogate (not valid Unicode)');
    return;
  }
  if (typeof value !== 'object')
    fail(field, 'must be JSON (string, number, boolean, null, array or object)');
  if (depth >= EVENT_LIMITS.metadataDepth) {
    fail(field, `is nested deeper than ${EVENT_LIMITS.metadataDepth} levels`);
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkJson(v, `${field}[${i}]`, depth + 1));
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) fail(field, 'must be a plain object');
  for (const [k, v] of Object.entries(value)) {
    if (!k.isWellFormed()) fail(field, 'has a key with a lone surrogate');
    // An unset optional field (a DTO's `undefined`) is simply absent, as JSON.stringify treats it.
    if (v === undefined) continue;
    checkJson(v, `${field}.${k}`, depth + 1);
  }
}

/**
 * Checks an event against the catalog and the limits, redacts secrets in its metadata and fills
 * in defaults. Throws `AuditValidationError` naming the first bad field; never truncates data.
 * `locate` (the checked `location.resolve` option) adds the IP's country, region and city.
 */
export function normalizeEvent(
  input: AuditEventInput,
  catalog: ActionCatalog,
  isSecret: (key: string) => boolean,
  now: number,
  locate?: (ip: string) => Pick<AuditEventLocation, 'countryName' | 'regionName' | 'city'>,
): NormalizedEvent {
  if (!input || typeof input !== 'object') fail('event', 'must be an object');
  const orgId = text(input.orgId, 'orgId', EVENT_LIMITS.orgId, true)!;
  if (!ORG_ID.test(orgId)) fail('orgId', 'may hold only letters, digits, ".", "_" and "-"');
  const action = text(input.action, 'action', 128, true)!;
  const def = catalog.getAction(action);
  if (!def)
    throw new AuditValidationError(
      'action',
      `"${action}" is not a registered action`,
      'unknown_action',
    );
  const actor = party<AuditActor>(input.actor, 'actor', 'user');

  if (input.targets !== undefined && input.targets !== null && !Array.isArray(input.targets)) {
    fail('targets', 'must be an array');
  }
  const rawTargets = input.targets ?? [];
  if (rawTargets.length > EVENT_LIMITS.targets)
    fail('targets', `must hold at most ${EVENT_LIMITS.targets} entries`);
  const targets = rawTargets.map((t, i) => party<AuditTarget>(t, `targets[${i}]`));

  let site: AuditSite | null = null;
  if (input.site !== undefined && input.site !== null) {
    if (typeof input.site !== 'object' || Array.isArray(input.site))
      fail('site', 'must be an object');
    site = { id: text(input.site.id, 'site.id', EVENT_LIMITS.id, true)! };
    const name = text(input.site.name, 'site.name', EVENT_LIMITS.name, false);
    if (name !== undefined) site.name = name;
  }
  const product = text(input.product, 'product', EVENT_LIMITS.product, false) ?? null;

  const location: AuditEventLocation = {};
  if (input.location !== undefined && input.location !== null) {
    if (typeof input.location !== 'object' || Array.isArray(input.location))
      fail('location', 'must be an object');
    const ip = text(input.location.ip, 'location.ip', 45, false);
    if (ip !== undefined) {
      if (!isIP(ip)) fail('location.ip', 'must be an IPv4 or IPv6 address');
      location.ip = ip;
    }
    const ua = text(input.location.userAgent, 'location.userAgent', EVENT_LIMITS.userAgent, false);
    if (ua !== undefined) location.userAgent = ua;
  }
  // Resolved here, where the IP is known, and stored: the location filter is then plain SQL.
  if (locate && location.ip !== undefined) Object.assign(location, locate(location.ip));

  const outcome = input.outcome ?? 'success';
  if (outcome !== 'success' && outcome !== 'failure')
    fail('outcome', 'must be "success" or "failure"');

  let metadata: Record<string, unknown> = {};
  if (input.metadata !== undefined && input.metadata !== null) {
    if (typeof input.metadata !== 'object' || Array.isArray(input.metadata)) {
      fail('metadata', 'must be an object');
    }
    checkJson(input.metadata, 'metadata', 0);
    metadata = redact(input.metadata, isSecret) as Record<string, unknown>;
    const bytes = Buffer.byteLength(JSON.stringify(metadata), 'utf8');
    if (bytes > EVENT_LIMITS.metadataBytes) {
      fail(
        'metadata',
        `must be at most ${EVENT_LIMITS.metadataBytes} bytes as JSON (got ${bytes})`,
      );
    }
  }

  return {
    orgId,
    action,
    category: def.category,
    occurredAt: time(input.time, now),
    actor,
    targets,
    site,
    product,
    location,
    outcome,
    metadata,
  };
}
