import type { Database } from 'better-sqlite3';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from '../event/audit-event.interface';
import { dialectOf, placeholders, StoreDialect } from './dialect';
import {
  chainHash,
  EventRow,
  eventRowValues,
  eventTerms,
  PreparedEvent,
  preparedToEvent,
  rowToEvent,
} from './event-row';
import { EVENT_COLUMNS, EVENTS_TABLE, ORG_STATE_TABLE, TERMS_TABLE } from './store.constants';

type Value = string | number | null;
type Exec = (sql: string, params: Value[]) => Promise<any>;

interface OrgState {
  lastSeq: number;
  lastHash: string | null;
}

interface BatchPlan {
  eventRows: Value[][];
  termRows: Value[][];
  states: [string, OrgState][];
  events: AuditEvent[];
}

// Multi-row statements stay well under both drivers' placeholder limits.
const EVENT_CHUNK = 500;
const TERM_CHUNK = 1000;
const MYSQL_DEADLOCK = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * Writes batches of events: assigns each org's gap-free `seq` (and chain hash) under a row lock on
 * `auditkit_org_state`, then inserts events and their exact terms as multi-row INSERTs, all in one
 * transaction. Seqs are therefore increasing in commit order, across processes too.
 */
export class EventStore {
  readonly dialect: StoreDialect;
  // Orgs whose state row is known to exist, so the batch can skip the "ensure" statement.
  private readonly knownOrgs = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly tamperEvidence: boolean,
  ) {
    this.dialect = dialectOf(dataSource);
  }

  /**
   * Writes the events in a transaction of their own; resolves once it has committed.
   * `mayBeStored`: an earlier attempt may have committed some of them without the answer reaching
   * us (the connection dropped during COMMIT); those are returned as stored, not written again.
   */
  async write(
    events: PreparedEvent[],
    options: { mayBeStored?: boolean } = {},
  ): Promise<AuditEvent[]> {
    const mayBeStored = options.mayBeStored ?? false;
    if (this.dialect === 'sqlite') return this.writeSqlite(events, mayBeStored);
    for (let attempt = 1; ; attempt++) {
      const queryRunner = this.dataSource.createQueryRunner();
      try {
        await queryRunner.connect();
        await queryRunner.startTransaction();
        const result = await this.writeAsync(
          (sql, p) => queryRunner.query(sql, p),
          events,
          mayBeStored,
        );
        await queryRunner.commitTransaction();
        this.remember(events);
        return result;
      } catch (err) {
        if (queryRunner.isTransactionActive)
          await queryRunner.rollbackTransaction().catch(() => undefined);
        const code = (err as { driverError?: { code?: string } }).driverError?.code;
        if (attempt < 3 && code && MYSQL_DEADLOCK.has(code)) continue;
        throw err;
      } finally {
        await queryRunner.release();
      }
    }
  }

  /**
   * Writes the events through the caller's EntityManager, inside the caller's open transaction:
   * a rollback leaves no event, a commit exactly one.
   */
  async writeWith(manager: EntityManager, events: PreparedEvent[]): Promise<AuditEvent[]> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('AuditService.record: options.manager must belong to an open transaction');
    }
    return this.writeAsync((sql, p) => manager.query(sql, p), events, false);
  }

  private remember(events: PreparedEvent[]): void {
    for (const e of events) this.knownOrgs.add(e.orgId);
  }

  private async writeAsync(
    exec: Exec,
    events: PreparedEvent[],
    mayBeStored: boolean,
  ): Promise<AuditEvent[]> {
    const orgs = [...new Set(events.map((e) => e.orgId))].sort();
    const missing = orgs.filter((o) => !this.knownOrgs.has(o));
    if (missing.length) await exec(this.ensureOrgsSql(missing.length), missing);
    const lock = this.dialect === 'mysql' ? ' FOR UPDATE' : '';
    // Sorted, so concurrent writers lock org rows in one order and cannot deadlock on them.
    const rows: { org_id: string; last_seq: number | string; last_hash: string | null }[] =
      await exec(
        `SELECT org_id, last_seq, last_hash FROM ${ORG_STATE_TABLE} WHERE org_id IN (${placeholders(orgs.length)}) ORDER BY org_id${lock}`,
        orgs,
      );
    // Looked up under the org locks: no other writer can be committing these ids meanwhile.
    const stored: EventRow[] = mayBeStored
      ? await exec(
          `SELECT * FROM ${EVENTS_TABLE} WHERE id IN (${placeholders(events.length)})`,
          events.map((e) => e.id),
        )
      : [];
    const storedById = new Map(stored.map((r) => [r.id, r]));
    const plan = this.plan(
      events.filter((e) => !storedById.has(e.id)),
      rows,
    );
    for (let i = 0; i < plan.eventRows.length; i += EVENT_CHUNK) {
      const chunk = plan.eventRows.slice(i, i + EVENT_CHUNK);
      const row = `(${placeholders(EVENT_COLUMNS.length)})`;
      await exec(
        `INSERT INTO ${EVENTS_TABLE} (${EVENT_COLUMNS.join(', ')}) VALUES ${chunk.map(() => row).join(', ')}`,
        chunk.flat(),
      );
    }
    for (let i = 0; i < plan.termRows.length; i += TERM_CHUNK) {
      const chunk = plan.termRows.slice(i, i + TERM_CHUNK);
      await exec(
        `INSERT INTO ${TERMS_TABLE} (org_id, term, occurred_at, event_id) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
        chunk.flat(),
      );
    }
    if (plan.states.length > 0) {
      await exec(
        this.saveStatesSql(plan.states.length),
        plan.states.flatMap(([org, s]) => [org, s.lastSeq, s.lastHash]),
      );
    }
    return mergeStored(events, plan.events, storedById);
  }

  /**
   * SQLite: the whole batch runs synchronously on the raw connection, so nothing can interleave
   * with it. TypeORM shares one connection for every query runner on SQLite; while a host
   * transaction is open on it, the batch waits instead of joining that transaction.
   */
  private async writeSqlite(events: PreparedEvent[], mayBeStored: boolean): Promise<AuditEvent[]> {
    const db = (this.dataSource.driver as unknown as { databaseConnection: Database })
      .databaseConnection;
    while (db.inTransaction) await new Promise((r) => setTimeout(r, 1));
    const selectState = db.prepare(
      `SELECT org_id, last_seq, last_hash FROM ${ORG_STATE_TABLE} WHERE org_id = ?`,
    );
    const insertEvent = db.prepare(
      `INSERT INTO ${EVENTS_TABLE} (${EVENT_COLUMNS.join(', ')}) VALUES (${placeholders(EVENT_COLUMNS.length)})`,
    );
    const insertTerm = db.prepare(
      `INSERT INTO ${TERMS_TABLE} (org_id, term, occurred_at, event_id) VALUES (?, ?, ?, ?)`,
    );
    const saveState = db.prepare(this.saveStatesSql(1));
    const selectEvent = db.prepare(`SELECT * FROM ${EVENTS_TABLE} WHERE id = ?`);
    const run = db.transaction(() => {
      const orgs = [...new Set(events.map((e) => e.orgId))];
      const rows = orgs.map((o) => selectState.get(o)).filter(Boolean) as any[];
      const storedById = new Map<string, EventRow>();
      if (mayBeStored) {
        for (const e of events) {
          const row = selectEvent.get(e.id) as EventRow | undefined;
          if (row) storedById.set(e.id, row);
        }
      }
      const plan = this.plan(
        events.filter((e) => !storedById.has(e.id)),
        rows,
      );
      for (const r of plan.eventRows) insertEvent.run(r);
      for (const r of plan.termRows) insertTerm.run(r);
      for (const [org, s] of plan.states) saveState.run(org, s.lastSeq, s.lastHash);
      return mergeStored(events, plan.events, storedById);
    });
    // IMMEDIATE takes the write lock up front: another process cannot sneak in between read and write.
    return run.immediate();
  }

  private plan(
    events: PreparedEvent[],
    rows: { org_id: string; last_seq: number | string; last_hash: string | null }[],
  ): BatchPlan {
    const states = new Map<string, OrgState>();
    for (const r of rows)
      states.set(r.org_id, { lastSeq: Number(r.last_seq), lastHash: r.last_hash });
    const eventRows: Value[][] = [];
    const termRows: Value[][] = [];
    const out: AuditEvent[] = [];
    for (const e of events) {
      const state = states.get(e.orgId) ?? { lastSeq: 0, lastHash: null };
      const seq = state.lastSeq + 1;
      const values = eventRowValues(e, seq);
      const hash = this.tamperEvidence ? chainHash(state.lastHash, values) : null;
      states.set(e.orgId, { lastSeq: seq, lastHash: hash ?? state.lastHash });
      eventRows.push([...values, hash]);
      for (const term of eventTerms(e)) termRows.push([e.orgId, term, e.occurredAt, e.id]);
      out.push(preparedToEvent(e, seq));
    }
    // Key order makes the term inserts walk the primary key instead of jumping around it.
    termRows.sort(
      (a, b) =>
        cmp(a[0], b[0]) ||
        cmp(a[1], b[1]) ||
        (a[2] as number) - (b[2] as number) ||
        cmp(a[3], b[3]),
    );
    return { eventRows, termRows, states: [...states.entries()], events: out };
  }

  private ensureOrgsSql(n: number): string {
    const values = new Array(n).fill('(?, 0, NULL)').join(', ');
    return this.dialect === 'mysql'
      ? `INSERT INTO ${ORG_STATE_TABLE} (org_id, last_seq, last_hash) VALUES ${values} ON DUPLICATE KEY UPDATE org_id = org_id`
      : `INSERT INTO ${ORG_STATE_TABLE} (org_id, last_seq, last_hash) VALUES ${values} ON CONFLICT (org_id) DO NOTHING`;
  }

  private saveStatesSql(n: number): string {
    const values = new Array(n).fill('(?, ?, ?)').join(', ');
    return this.dialect === 'mysql'
      ? `INSERT INTO ${ORG_STATE_TABLE} (org_id, last_seq, last_hash) VALUES ${values} ON DUPLICATE KEY UPDATE last_seq = VALUES(last_seq), last_hash = VALUES(last_hash)`
      : `INSERT INTO ${ORG_STATE_TABLE} (org_id, last_seq, last_hash) VALUES ${values} ON CONFLICT (org_id) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash`;
  }
}

/** A batch's events in input order: those found already stored, and those just written. */
function mergeStored(
  events: PreparedEvent[],
  written: AuditEvent[],
  storedById: Map<string, EventRow>,
): AuditEvent[] {
  if (storedById.size === 0) return written;
  let next = 0;
  return events.map((e) => {
    const row = storedById.get(e.id);
    return row ? rowToEvent(row) : written[next++];
  });
}

function cmp(a: Value, b: Value): number {
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}
