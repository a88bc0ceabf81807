import { EntityManager } from 'typeorm';
import { AuditEvent } from '../../event/audit-event.interface';
import { StoreDialect } from '../dialect';
import { EventRow, PreparedEvent } from '../event-row';
import { BatchPlan, orgsOf, planBatch, reconcileStates, StateRow, Value } from './batch-plan';
import { BatchSql, Statement } from './batch-sql';
import { OrgStateCache } from './org-state-cache';
import { mergeStored } from './write-outcome';

/** The reads of a locking write, and where each answer is among their results. */
export interface BatchReads {
  statements: Statement[];
  orgs: string[];
  /** Index of the org-state SELECT among the statements' results. */
  stateIndex: number;
  /** Index of the already-stored lookup, or -1. */
  storedIndex: number;
  /** Index of each org's last-event SELECT (in `orgs` order), when re-deriving the state. */
  lastEventIndexes: number[];
}

/** Runs one statement; resolves with the driver's result. */
export type Exec = (sql: string, params: Value[]) => Promise<any>;

/**
 * A batch written under the org rows' locks: make sure the rows exist, read them (locked), look
 * up ids that may be stored already, plan on what was read, write. In repair mode each org's
 * state is re-derived from its last stored event too, for when the state row went back in time
 * (docs/reliability.md). How the statements travel is the writer's: one per round trip, or
 * joined into packets.
 */
export class LockedBatch {
  readonly sql: BatchSql;

  constructor(
    dialect: StoreDialect,
    private readonly tamperEvidence: boolean,
    private readonly cache: OrgStateCache,
  ) {
    this.sql = new BatchSql(dialect);
  }

  reads(events: PreparedEvent[], mayBeStored: boolean, repair: boolean): BatchReads {
    const statements: Statement[] = [];
    const orgs = orgsOf(events);
    // Repairing, every row is made sure of: a missing row cannot be locked.
    const missing = repair ? orgs : orgs.filter((o) => !this.cache.isKnown(o));
    if (missing.length)
      statements.push({ sql: this.sql.ensureOrgs(missing.length), params: missing });
    const stateIndex = statements.length;
    statements.push({ sql: this.sql.selectStates(orgs.length), params: orgs });
    // Looked up under the org locks: no other writer can be committing these ids meanwhile.
    const storedIndex = mayBeStored ? statements.length : -1;
    if (mayBeStored) {
      statements.push({
        sql: this.sql.selectStored(events.length),
        params: events.map((e) => e.id),
      });
    }
    // Read after the locks are held, so they see the latest commit.
    const lastEventIndexes: number[] = [];
    if (repair) {
      for (const org of orgs) {
        lastEventIndexes.push(statements.length);
        statements.push({ sql: this.sql.lastEvent(), params: [org] });
      }
    }
    return { statements, orgs, stateIndex, storedIndex, lastEventIndexes };
  }

  /** Plans the batch on the answers to `reads`, leaving out the events found stored. */
  plan(
    events: PreparedEvent[],
    reads: BatchReads,
    results: any[],
  ): { plan: BatchPlan; storedById: Map<string, EventRow> } {
    const stored: EventRow[] = reads.storedIndex >= 0 ? results[reads.storedIndex] : [];
    const storedById = new Map(stored.map((r) => [r.id, r]));
    let states: StateRow[] = results[reads.stateIndex];
    const present = new Set(states.map((r) => r.org_id));
    for (const org of reads.orgs) if (!present.has(org)) this.cache.forgetKnown(org);
    if (reads.lastEventIndexes.length > 0) {
      const lastEvents = reads.lastEventIndexes.map((i) => (results[i] as StateRow[])[0]);
      states = reconcileStates(states, lastEvents);
    }
    const plan = planBatch(
      events.filter((e) => !storedById.has(e.id)),
      states,
      this.tamperEvidence,
    );
    return { plan, storedById };
  }

  /** The whole batch, one statement per round trip, in a transaction the caller holds open. */
  async run(
    exec: Exec,
    events: PreparedEvent[],
    mayBeStored: boolean,
    repair: boolean,
  ): Promise<AuditEvent[]> {
    const reads = this.reads(events, mayBeStored, repair);
    const results: any[] = [];
    for (const st of reads.statements) results.push(await exec(st.sql, st.params));
    const { plan, storedById } = this.plan(events, reads, results);
    for (const st of this.sql.writes(plan)) await exec(st.sql, st.params);
    return mergeStored(events, plan.events, storedById);
  }

  /**
   * The batch inside the caller's open transaction: a rollback leaves no event, a commit
   * exactly one. A failed statement would fail the caller's whole transaction, and a retry
   * cannot be made for it: the state is re-derived up front instead (one more indexed read per
   * org), and the orgs' expected state is dropped, since a commit we do not see moves them on.
   */
  writeWith(manager: EntityManager, events: PreparedEvent[]): Promise<AuditEvent[]> {
    const orgs = orgsOf(events);
    this.cache.touch(orgs);
    this.cache.unexpect(orgs);
    return this.run((sql, p) => manager.query(sql, p), events, false, true);
  }
}
