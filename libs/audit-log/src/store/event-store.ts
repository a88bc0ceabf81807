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

interface Statement {
  sql: string;
  params: Value[];
}

interface ReadStatements {
  statements: Statement[];
  /** Index of the org-state SELECT among the statements' results. */
  stateIndex: number;
  /** Index of the already-stored lookup, or -1. */
  storedIndex: number;
}

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
  // Only a pool opened with multipleStatements (the module's own) can take a batch in two trips.
  private readonly multiStatements: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tamperEvidence: boolean,
  ) {
    this.dialect = dialectOf(dataSource);
    const options = dataSource.options as { multipleStatements?: boolean };
    this.multiStatements = this.dialect === 'mysql' && options.multipleStatements === true;
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
      if (this.multiStatements) {
        try {
          return await this.writeMysqlMulti(events, mayBeStored);
        } catch (err) {
          if (attempt < 3 && isDeadlock(err)) continue;
          throw err;
        }
      }
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
        if (attempt < 3 && isDeadlock(err)) continue;
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
    const reads = this.readStatements(events, mayBeStored);
    const results: any[] = [];
    for (const st of reads.statements) results.push(await exec(st.sql, st.params));
    const { plan, storedById } = this.planFromReads(events, reads, results);
    for (const st of this.writeStatements(plan)) await exec(st.sql, st.params);
    return mergeStored(events, plan.events, storedById);
  }

  /**
   * MySQL with `multipleStatements` on the module's own pool: the batch takes two round trips
   * (begin + lock + read, then inserts + state + COMMIT) instead of six. Group commit keeps a
   * closed loop of callers waiting on each batch, so round trips are most of its latency.
   */
  private async writeMysqlMulti(
    events: PreparedEvent[],
    mayBeStored: boolean,
  ): Promise<AuditEvent[]> {
    const queryRunner = this.dataSource.createQueryRunner();
    let open = false;
    try {
      await queryRunner.connect();
      const reads = this.readStatements(events, mayBeStored);
      open = true;
      const head = await queryRunner.query(
        ['START TRANSACTION', ...reads.statements.map((st) => st.sql)].join(';\n'),
        reads.statements.flatMap((st) => st.params),
      );
      const { plan, storedById } = this.planFromReads(events, reads, head.slice(1));
      const writes = this.writeStatements(plan);
      await queryRunner.query(
        [...writes.map((st) => st.sql), 'COMMIT'].join(';\n'),
        writes.flatMap((st) => st.params),
      );
      open = false;
      this.remember(events);
      return mergeStored(events, plan.events, storedById);
    } catch (err) {
      // A failed statement stops the rest of its round trip, COMMIT included.
      if (open) await queryRunner.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      await queryRunner.release();
    }
  }

  private readStatements(events: PreparedEvent[], mayBeStored: boolean): ReadStatements {
    const statements: Statement[] = [];
    const orgs = [...new Set(events.map((e) => e.orgId))].sort();
    const missing = orgs.filter((o) => !this.knownOrgs.has(o));
    if (missing.length)
      statements.push({ sql: this.ensureOrgsSql(missing.length), params: missing });
    const lock = this.dialect === 'mysql' ? ' FOR UPDATE' : '';
    // Sorted, so concurrent writers lock org rows in one order and cannot deadlock on them.
    const stateIndex = statements.length;
    statements.push({
      sql: `SELECT org_id, last_seq, last_hash FROM ${ORG_STATE_TABLE} WHERE org_id IN (${placeholders(orgs.length)}) ORDER BY org_id${lock}`,
      params: orgs,
    });
    // Looked up under the org locks: no other writer can be committing these ids meanwhile.
    const storedIndex = mayBeStored ? statements.length : -1;
    if (mayBeStored) {
      statements.push({
        sql: `SELECT * FROM ${EVENTS_TABLE} WHERE id IN (${placeholders(events.length)})`,
        params: events.map((e) => e.id),
      });
    }
    return { statements, stateIndex, storedIndex };
  }

  private planFromReads(events: PreparedEvent[], reads: ReadStatements, results: any[]) {
    const stored: EventRow[] = reads.storedIndex >= 0 ? results[reads.storedIndex] : [];
    const storedById = new Map(stored.map((r) => [r.id, r]));
    const plan = this.plan(
      events.filter((e) => !storedById.has(e.id)),
      results[reads.stateIndex],
    );
    return { plan, storedById };
  }

  private writeStatements(plan: BatchPlan): Statement[] {
    const statements: Statement[] = [];
    const row = `(${placeholders(EVENT_COLUMNS.length)})`;
    for (let i = 0; i < plan.eventRows.length; i += EVENT_CHUNK) {
      const chunk = plan.eventRows.slice(i, i + EVENT_CHUNK);
      statements.push({
        sql: `INSERT INTO ${EVENTS_TABLE} (${EVENT_COLUMNS.join(', ')}) VALUES ${chunk.map(() => row).join(', ')}`,
        params: chunk.flat(),
      });
    }
    for (let i = 0; i < plan.termRows.length; i += TERM_CHUNK) {
      const chunk = plan.termRows.slice(i, i + TERM_CHUNK);
      statements.push({
        sql: `INSERT INTO ${TERMS_TABLE} (org_id, term, occurred_at, event_id) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
        params: chunk.flat(),
      });
    }
    if (plan.states.length > 0) {
      statements.push({
        sql: this.saveStatesSql(plan.states.length),
        params: plan.states.flatMap(([org, s]) => [org, s.lastSeq, s.lastHash]),
      });
    }
    return statements;
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

function isDeadlock(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code;
  return !!code && MYSQL_DEADLOCK.has(code);
}
