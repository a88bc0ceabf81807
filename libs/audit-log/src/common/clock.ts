/**
 * The time source of retention, link expiry and recording. Tests pass one they can set, so
 * nothing waits for a real clock.
 */
export interface AuditClock {
  now(): Date;
}

/** The wall clock. */
export const systemClock: AuditClock = { now: () => new Date() };
