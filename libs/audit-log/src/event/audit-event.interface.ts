/** Who performed an activity. */
export interface AuditActor {
  /** Stable id of the actor in the host's directory, e.g. `u-123`. */
  id: string;
  /** `user`, `system`, `api_key`, or any type the host uses. @default 'user' */
  type: string;
  name?: string;
  email?: string;
}

/** What an activity acted on: a user, a group, a policy, a product... */
export interface AuditTarget {
  id: string;
  type: string;
  name?: string;
  email?: string;
}

/** The site (container) an activity happened in. */
export interface AuditSite {
  id: string;
  name?: string;
}

/** Where an activity came from, as a caller gives it. */
export interface AuditLocation {
  ip?: string;
  userAgent?: string;
}

/**
 * Where a stored activity came from: the caller's `ip` and `userAgent`, and the country, region
 * and city the `location.resolve` option found for the IP when the event was recorded (absent
 * without a resolver, for unknown addresses, and on events recorded before; not covered by the
 * tamper-evidence hash, see docs/events.md).
 */
export interface AuditEventLocation extends AuditLocation {
  countryName?: string;
  regionName?: string;
  city?: string;
}

export type AuditOutcome = 'success' | 'failure';

/** The actor as a caller gives it: `type` may be left out. */
export type AuditActorInput = Omit<AuditActor, 'type'> & { type?: string };

/** What a caller hands to `AuditService.record()`: the event without id, seq and category. */
export interface AuditEventInput {
  orgId: string;
  action: string;
  /** `type` defaults to `user`. */
  actor: AuditActorInput;
  targets?: AuditTarget[];
  site?: AuditSite | null;
  product?: string | null;
  location?: AuditLocation;
  /** @default 'success' */
  outcome?: AuditOutcome;
  metadata?: Record<string, unknown>;
  /** When it happened. @default now */
  time?: Date | string | number;
}

/** A stored activity, as docs/api.md section 4 describes it. */
export interface AuditEvent {
  /** Time-ordered ULID. */
  id: string;
  orgId: string;
  /** Per-org, gap-free, increasing in commit order. */
  seq: number;
  /** ISO 8601 UTC with milliseconds. */
  time: string;
  action: string;
  category: string;
  actor: AuditActor;
  targets: AuditTarget[];
  site: AuditSite | null;
  product: string | null;
  location: AuditEventLocation;
  outcome: AuditOutcome;
  metadata: Record<string, unknown>;
}
