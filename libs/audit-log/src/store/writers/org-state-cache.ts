import { OrgState } from './batch-plan';

// After another writer moved an org's state under us, that org goes through the locking path
// for this long before the cached state is trusted again.
const CONTENDED_MS = 10_000;
// Per-org bookkeeping is forgotten past this many orgs; it is only a cache.
const MAX_TRACKED_ORGS = 100_000;

/**
 * What this process believes about each org it writes, shared by the MySQL writers of one
 * store. Only ever a hint: the locking write reads the truth under the row lock, and the
 * one-trip write checks its expectation against the row before anything can commit. Losing any
 * of it costs a locking write, never a wrong seq.
 */
export class OrgStateCache {
  // Orgs whose state row is known to exist, so a batch can skip the "ensure" statement.
  private readonly known = new Set<string>();
  // Each org's state as this process last wrote it, including batches still in flight.
  private readonly expected = new Map<string, OrgState>();
  private readonly contendedUntil = new Map<string, number>();
  // Orgs with a locking write still reading: its outcome is not known, so nothing builds on it.
  private readonly locking = new Map<string, number>();
  // Orgs with a one-trip write in flight.
  private readonly sending = new Map<string, number>();
  // When each org last had a write of ours start (a counter, not a clock).
  private readonly touched = new Map<string, number>();
  private writesStarted = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Notes that a write of ours on these orgs starts; returns its number. */
  touch(orgs: Iterable<string>): number {
    if (this.touched.size > MAX_TRACKED_ORGS) {
      this.touched.clear();
      this.expected.clear();
      this.known.clear();
      this.contendedUntil.clear();
    }
    this.writesStarted += 1;
    for (const org of orgs) this.touched.set(org, this.writesStarted);
    return this.writesStarted;
  }

  /** Whether a write of ours on one of the orgs started after write number `started`. */
  touchedSince(orgs: string[], started: number): boolean {
    return orgs.some((o) => (this.touched.get(o) ?? 0) > started);
  }

  isKnown(org: string): boolean {
    return this.known.has(org);
  }

  /** The orgs' state rows exist (a write on them committed). */
  markKnown(orgs: Iterable<string>): void {
    for (const org of orgs) this.known.add(org);
  }

  /** Drops what this process believes about the orgs, after a write on them failed. */
  forget(orgs: Iterable<string>): void {
    for (const org of orgs) {
      this.expected.delete(org);
      this.known.delete(org);
    }
  }

  /** A known org whose row turned out missing: the next write makes sure of it again. */
  forgetKnown(org: string): void {
    this.known.delete(org);
  }

  expectedState(org: string): OrgState | undefined {
    return this.expected.get(org);
  }

  /** The state the next batch of each org builds on. */
  expect(states: Iterable<[string, OrgState]>): void {
    for (const [org, state] of states) this.expected.set(org, state);
  }

  /** Stops building on the orgs' expected state (a transaction we do not see moves them). */
  unexpect(orgs: Iterable<string>): void {
    for (const org of orgs) this.expected.delete(org);
  }

  /** Another writer moved the orgs: they take the locking path for a while. */
  markContended(orgs: Iterable<string>): void {
    const until = this.now() + CONTENDED_MS;
    for (const org of orgs) this.contendedUntil.set(org, until);
  }

  /**
   * Whether a batch on these orgs can be planned on the expected state: each has one, none has
   * a locking write still reading, and none was contended lately.
   */
  canSkipLock(orgs: Iterable<string>): boolean {
    const now = this.now();
    for (const org of orgs) {
      if (!this.expected.has(org) || this.locking.has(org)) return false;
      const until = this.contendedUntil.get(org);
      if (until !== undefined) {
        if (until > now) return false;
        this.contendedUntil.delete(org);
      }
    }
    return true;
  }

  /** Counts a locking write's read on the orgs in (+1) or out (-1). */
  countLocking(orgs: string[], delta: 1 | -1): void {
    for (const org of orgs) count(this.locking, org, delta);
  }

  /** Counts a one-trip write on the orgs in (+1) or out (-1). */
  countSending(orgs: string[], delta: 1 | -1): void {
    for (const org of orgs) count(this.sending, org, delta);
  }

  /** Whether a one-trip write on one of the orgs is in flight. */
  isSending(orgs: string[]): boolean {
    return orgs.some((o) => this.sending.has(o));
  }
}

/** Adds delta to a per-key counter, dropping keys that reach zero. */
function count(counter: Map<string, number>, key: string, delta: number): void {
  const n = (counter.get(key) ?? 0) + delta;
  if (n === 0) counter.delete(key);
  else counter.set(key, n);
}
