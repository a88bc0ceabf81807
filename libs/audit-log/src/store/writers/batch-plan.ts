import { AuditEvent } from '../../event/audit-event.interface';
import { EVENT_HASH_FORMAT, eventHashV1, newEventSalt } from '../../integrity/event-hash';
import {
  eventRowValues,
  eventTerms,
  preparedToEvent,
  preparedToHashable,
  PreparedEvent,
  UNCHAINED,
} from '../event-row';
import { ROLLUP_GRAIN_MS } from '../event-table';

/** A value bound to a statement parameter. */
export type Value = string | number | null;

/** Where an org's sequence and chain stand. */
export interface OrgState {
  lastSeq: number;
  lastHash: string | null;
}

/** An org's state as read from `auditkit_org_state` (or from its last event, when repairing). */
export interface StateRow {
  org_id: string;
  last_seq: number | string;
  last_hash: string | null;
}

/** What a batch writes: its rows, each org's state after it, and the events as stored. */
export interface BatchPlan {
  /** Rows of `auditkit_events`, in `EVENT_COLUMNS` order. */
  eventRows: Value[][];
  /** Rows of `auditkit_event_terms`, in primary-key order. */
  termRows: Value[][];
  /**
   * Rows of `auditkit_activity_rollup` to add: (org, hour, category, events), one per hour and
   * category the batch touches, in key order.
   */
  rollupRows: Value[][];
  states: [string, OrgState][];
  events: AuditEvent[];
}

/**
 * Gives each event the next seq of its org, after the state in `rows` (an org without a row
 * starts at 1), and, with `tamperEvidence`, its chain hash.
 */
export function planBatch(
  events: PreparedEvent[],
  rows: StateRow[],
  tamperEvidence: boolean,
): BatchPlan {
  const states = new Map<string, OrgState>();
  for (const r of rows)
    states.set(r.org_id, { lastSeq: Number(r.last_seq), lastHash: r.last_hash });
  const eventRows: Value[][] = [];
  const termRows: Value[][] = [];
  const out: AuditEvent[] = [];
  const rollup = new RollupCounts();
  for (const e of events) {
    const state = states.get(e.orgId) ?? { lastSeq: 0, lastHash: null };
    const seq = state.lastSeq + 1;
    let chain = UNCHAINED;
    if (tamperEvidence) {
      const salt = newEventSalt();
      const hash = eventHashV1(preparedToHashable(e, seq), state.lastHash, { salt });
      chain = { hash, hashV: EVENT_HASH_FORMAT, salt };
    }
    states.set(e.orgId, { lastSeq: seq, lastHash: chain.hash ?? state.lastHash });
    eventRows.push(eventRowValues(e, seq, chain));
    for (const term of eventTerms(e)) termRows.push([e.orgId, term, e.occurredAt, e.id]);
    out.push(preparedToEvent(e, seq));
    rollup.add(e.orgId, e.occurredAt, e.category, 1);
  }
  // Key order makes the term inserts walk the primary key instead of jumping around it.
  termRows.sort(
    (a, b) =>
      cmp(a[0], b[0]) || cmp(a[1], b[1]) || (a[2] as number) - (b[2] as number) || cmp(a[3], b[3]),
  );
  return {
    eventRows,
    termRows,
    rollupRows: rollup.rows(),
    states: [...states.entries()],
    events: out,
  };
}

/**
 * Events counted per (org, UTC hour, category), summed in memory first: a batch of 500 events
 * of one org in one hour adds a handful of rollup rows, not 500.
 */
export class RollupCounts {
  private readonly counts = new Map<string, Value[]>();

  add(orgId: string, occurredAt: number, category: string, n: number): void {
    const hour = occurredAt - (occurredAt % ROLLUP_GRAIN_MS);
    const key = `${orgId}\u0000${hour}\u0000${category}`;
    const row = this.counts.get(key);
    if (row) (row[3] as number) += n;
    else this.counts.set(key, [orgId, hour, category, n]);
  }

  /** (org, hour_start, category, events) rows in key order, so writers lock them in one order. */
  rows(): Value[][] {
    return [...this.counts.values()].sort(
      (a, b) => cmp(a[0], b[0]) || (a[1] as number) - (b[1] as number) || cmp(a[2], b[2]),
    );
  }
}

/**
 * Each org's state as its stored rows say: the state row, unless the org's last event is past it
 * (the row was set back or deleted while the events stayed), then that event's seq and hash.
 */
export function reconcileStates(
  states: StateRow[],
  lastEvents: (StateRow | undefined)[],
): StateRow[] {
  const byOrg = new Map(states.map((r) => [r.org_id, r]));
  for (const last of lastEvents) {
    if (!last) continue;
    const state = byOrg.get(last.org_id);
    if (!state || Number(last.last_seq) > Number(state.last_seq)) byOrg.set(last.org_id, last);
  }
  return [...byOrg.values()];
}

/** The orgs of a batch, sorted: the order every writer locks their rows in. */
export function orgsOf(events: PreparedEvent[]): string[] {
  return [...new Set(events.map((e) => e.orgId))].sort();
}

function cmp(a: Value, b: Value): number {
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}
