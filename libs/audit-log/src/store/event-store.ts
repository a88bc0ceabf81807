import type { Database } from 'better-sqlite3';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from '../event/audit-event.interface';
import { dialectOf, placeholders, StoreDialect } from './dialect';
import {
  EventRow,
  eventRowValues,
  preparedToHashable,
  eventTerms,
  PreparedEvent,
  preparedToEvent,
  rowToEvent,
} from './event-row';
import { EVENT_HASH_FORMAT, eventHashV1, newEventSalt } from '../integrity/event-hash';
import { EVENT_COLUMNS, EVENTS_TABLE, ORG_STATE_TABLE, TERMS_TABLE } from './store.constants';

type Value = string | number | null;
type Exec = (sql: string, params: Value[]) => Promise<any>;

interface Statement {
  sql: string;
  params: Value[];
}

interface ReadStatements {
  statements: Statement[];
  orgs: string[];
  /** Index of the org-state SELECT among the statements' results. */
  stateIndex: number;
  /** Index of the already-stored lookup, or -1. */
  storedIndex: number;
  /** Index of each org's last-event SELECT (in `orgs` order), when re-deriving the state. */
  lastEventIndexes: number[];
}

interface StateRow {
  org_id: string;
  last_seq: number | string;
  last_hash: string | null;
}

/** A pooled mysql2 connection (callback API), as TypeORM's MySQL driver hands it out. */
interface LaneConnection {
  query(
    sql: string,
    params: unknown[],
    callback: (err: (Error & { fatal?: boolean }) | null, result?: unknown) => void,
  ): void;
  release(): void;
  destroy(): void;
}

interface Lane {
  connection: Promise<LaneConnection>;
  users: number;
  /** Failed beyond a statement error: destroyed, not given back, once its last user is done. */
  broken: boolean;
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
// After another writer moved an org's state under us, that org goes through the locking path
// for this long before the cached state is trusted again.
const CONTENDED_MS = 10_000;
// Per-org bookkeeping is forgotten past this many orgs; it is only a cache.
const MAX_TRACKED_ORGS = 100_000;

/**
 * Writes batches of events: assigns each org's gap-free `seq` (and chain hash), inserts events and
 * their exact terms as multi-row INSERTs, and moves the org's row in `auditkit_org_state` on, all
 * in one transaction that holds that row's lock until COMMIT. Seqs are therefore increasing in
 * commit order, across processes too.
 *
 * Two paths on MySQL: the locking write reads the org rows `FOR UPDATE` first; the one-trip write
 * (see `writeMysqlExpected`) starts from the state this process expects and checks it in the same
 * packet. SQLite runs every batch synchronously under an IMMEDIATE transaction.
 */
export class EventStore {
  readonly dialect: StoreDialect;
  // Orgs whose state row is known to exist, so the batch can skip the "ensure" statement.
  private readonly knownOrgs = new Set<string>();
  // Only a pool opened with multipleStatements (the module's own) can send several statements in
  // one round trip, which both the two-trip locking write and the one-trip write need.
  private readonly multiStatements: boolean;
  /**
   * Each org's state as this process last wrote it, including batches still in flight. Only a
   * hint: the one-trip write checks it against the row before it can commit.
   */
  private readonly expected = new Map<string, OrgState>();
  private readonly contendedUntil = new Map<string, number>();
  // Orgs with a locking write in flight: its outcome is not known, so nothing can build on it.
  private readonly locking = new Map<string, number>();
  // Orgs with a one-trip write in flight.
  private readonly sending = new Map<string, number>();
  // When each org last had a write of ours start (a counter, not a clock).
  private readonly touched = new Map<string, number>();
  private writesStarted = 0;
  // The connection the one-trip writes in flight share; back in the pool when none is.
  private lane: Lane | null = null;

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
   * us (the connection dropped during COMMIT), or another process may be writing the same ids;
   * those are returned as stored (see `wasFoundStored`), not written again.
   */
  async write(
    events: PreparedEvent[],
    options: { mayBeStored?: boolean } = {},
  ): Promise<AuditEvent[]> {
    const mayBeStored = options.mayBeStored ?? false;
    if (this.dialect === 'sqlite') return this.writeSqlite(events, mayBeStored);
    this.touch(events);
    if (this.multiStatements && !mayBeStored && this.canSkipLock(events)) {
      const written = await this.writeMysqlExpected(events);
      if (written) return written;
    }
    return this.writeLocking(events, mayBeStored);
  }

  /**
   * The write that reads each org's state under a row lock first.
   *
   * The org's state row is the authority on where its sequence stands, but the database can go
   * back in time under a running process (a restore, a lagging replica taking over, rows deleted
   * by hand): the row may be missing or behind the events it holds. The insert then collides on
   * an existing (org, seq) or id, and the batch is tried once more in repair mode, which re-derives
   * each org's state from its last stored event under the same lock, and looks its ids up in case
   * they are stored already. The repaired state is saved with the batch.
   */
  private async writeLocking(events: PreparedEvent[], mayBeStored: boolean): Promise<AuditEvent[]> {
    let repair = false;
    for (let deadlocks = 0; ;) {
      try {
        return await this.writeLockingOnce(events, mayBeStored, repair);
      } catch (err) {
        this.forget(events);
        if (deadlocks < 2 && isDeadlock(err)) {
          deadlocks += 1;
          continue;
        }
        if (!repair && isDuplicate(err)) {
          repair = true;
          mayBeStored = true;
          continue;
        }
        throw err;
      }
    }
  }

  private async writeLockingOnce(
    events: PreparedEvent[],
    mayBeStored: boolean,
    repair: boolean,
  ): Promise<AuditEvent[]> {
    if (this.multiStatements) return this.writeMysqlMulti(events, mayBeStored, repair);
    const queryRunner = this.dataSource.createQueryRunner();
    try {
      await queryRunner.connect();
      await queryRunner.startTransaction();
      const result = await this.writeAsync(
        (sql, p) => queryRunner.query(sql, p),
        events,
        mayBeStored,
        repair,
      );
      await committing(queryRunner.commitTransaction());
      this.remember(events);
      return result;
    } catch (err) {
      if (queryRunner.isTransactionActive)
        await queryRunner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await queryRunner.release();
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
    // The caller's transaction moves these orgs on, if it commits.
    this.touch(events);
    for (const e of events) this.expected.delete(e.orgId);
    // A failed statement would fail the caller's whole transaction, and a retry cannot be made
    // for it: the state is re-derived up front instead (one more indexed read per org).
    return this.writeAsync((sql, p) => manager.query(sql, p), events, false, true);
  }

  private remember(events: PreparedEvent[]): void {
    for (const e of events) this.knownOrgs.add(e.orgId);
  }

  /** Drops what this process believes about the orgs of a write that failed. */
  private forget(events: PreparedEvent[]): void {
    for (const e of events) {
      this.expected.delete(e.orgId);
      this.knownOrgs.delete(e.orgId);
    }
  }

  private touch(events: PreparedEvent[]): void {
    if (this.touched.size > MAX_TRACKED_ORGS) {
      this.touched.clear();
      this.expected.clear();
      this.knownOrgs.clear();
      this.contendedUntil.clear();
    }
    this.writesStarted += 1;
    for (const e of events) this.touched.set(e.orgId, this.writesStarted);
  }

  private canSkipLock(events: PreparedEvent[]): boolean {
    const now = Date.now();
    for (const e of events) {
      if (!this.expected.has(e.orgId) || this.locking.has(e.orgId)) return false;
      const until = this.contendedUntil.get(e.orgId);
      if (until !== undefined) {
        if (until > now) return false;
        this.contendedUntil.delete(e.orgId);
      }
    }
    return true;
  }

  /**
   * The one-trip write (MySQL, the module's own pool). Seqs and hashes come from the state this
   * process expects each org to be in, and the whole transaction goes in one packet on a
   * connection kept for it (the lane). The lane runs packets in the order they were sent, so the
   * next batch is planned and queued while this one commits, and runs the moment it has.
   *
   * After `START TRANSACTION`, a guarded UPDATE moves each org's state on only if it still is
   * what was expected. If another writer changed an org (another process, or our locking path),
   * a batch this one was planned on did not commit, or the row is gone (rows deleted, a restore),
   * fewer rows match and the sentinel INSERT that follows fails on a duplicate key: it inserts
   * the same key twice, so it fails whether or not the table holds that key. The packet stops
   * before it writes any event, and the caller falls back to the locking write. Nothing can
   * commit with a seq or hash that does not follow the row it was checked against, which stays
   * locked until COMMIT.
   *
   * Every packet starts with ROLLBACK: if the packet ahead of it stopped on an error, its open
   * transaction is undone here rather than committed by this packet's START TRANSACTION.
   *
   * Returns undefined when the expected state was stale.
   */
  private async writeMysqlExpected(events: PreparedEvent[]): Promise<AuditEvent[] | undefined> {
    const orgs = [...new Set(events.map((e) => e.orgId))].sort();
    const before = orgs.map((org) => ({ org, ...this.expected.get(org)! }));
    // A stale answer with one of our own writes ahead or alongside says nothing about others.
    const started = this.writesStarted;
    const behindOurOwn = orgs.some((o) => this.sending.has(o));
    const plan = this.plan(
      events,
      before.map((b) => ({ org_id: b.org, last_seq: b.lastSeq, last_hash: b.lastHash })),
    );
    // The next batch builds on this one before it commits.
    for (const [org, state] of plan.states) this.expected.set(org, state);
    const n = orgs.length;
    const statements: Statement[] = [
      {
        sql: `UPDATE ${ORG_STATE_TABLE} SET last_seq = CASE org_id ${repeat('WHEN ? THEN ?', n)} END, last_hash = CASE org_id ${repeat('WHEN ? THEN ?', n)} END WHERE org_id IN (${placeholders(n)}) AND CASE org_id ${repeat('WHEN ? THEN last_seq = ? AND last_hash <=> ?', n)} END`,
        params: [
          ...plan.states.flatMap(([org, st]) => [org, st.lastSeq]),
          ...plan.states.flatMap(([org, st]) => [org, st.lastHash]),
          ...orgs,
          ...before.flatMap((b) => [b.org, b.lastSeq, b.lastHash]),
        ],
      },
      { sql: 'SET @auditkit_matched = ROW_COUNT()', params: [] },
      {
        sql: `INSERT INTO ${ORG_STATE_TABLE} (org_id, last_seq, last_hash) SELECT ?, 0, NULL FROM DUAL WHERE @auditkit_matched <> ? UNION ALL SELECT ?, 0, NULL FROM DUAL WHERE @auditkit_matched <> ?`,
        params: [orgs[0], n, orgs[0], n],
      },
      ...this.writeStatements(plan, false),
    ];
    for (const o of orgs) count(this.sending, o, +1);
    const lane = this.joinLane();
    try {
      const connection = await lane.connection;
      try {
        const packet = joinStatements(statements, ['ROLLBACK', 'START TRANSACTION'], ['COMMIT']);
        await committing(laneQuery(connection, packet.sql, packet.params));
        return plan.events;
      } catch (err) {
        // Free the rows it locked now, not when the next packet happens to come.
        if (isFatal(err)) this.breakLane(lane);
        else await laneQuery(connection, 'ROLLBACK', []).catch(() => this.breakLane(lane));
        throw err;
      }
    } catch (err) {
      // Batches planned on top of this one fail their own check; the next locking write re-reads,
      // and makes sure the state row exists (it may be what was missing).
      for (const org of orgs) {
        this.expected.delete(org);
        this.knownOrgs.delete(org);
      }
      const code = driverCode(err);
      if (code === 'ER_DUP_ENTRY') {
        const ours = behindOurOwn || orgs.some((o) => this.touched.get(o)! > started);
        if (!ours) {
          const until = Date.now() + CONTENDED_MS;
          for (const org of orgs) this.contendedUntil.set(org, until);
        }
        return undefined;
      }
      if (code && MYSQL_DEADLOCK.has(code)) return undefined;
      throw err;
    } finally {
      for (const o of orgs) count(this.sending, o, -1);
      this.leaveLane(lane);
    }
  }

  /**
   * The lane: one pooled connection shared by the one-trip writes in flight, which the server
   * then runs in the order they were sent. It goes back to the pool when the last one is done,
   * so an idle lane is never left to time out on the server.
   */
  private joinLane(): Lane {
    if (!this.lane) {
      const driver = this.dataSource.driver as unknown as {
        obtainMasterConnection(): Promise<LaneConnection>;
      };
      const lane: Lane = { connection: driver.obtainMasterConnection(), users: 0, broken: false };
      lane.connection.catch(() => this.breakLane(lane));
      this.lane = lane;
    }
    this.lane.users += 1;
    return this.lane;
  }

  private breakLane(lane: Lane): void {
    lane.broken = true;
    if (this.lane === lane) this.lane = null;
  }

  private leaveLane(lane: Lane): void {
    lane.users -= 1;
    if (lane.users > 0) return;
    if (this.lane === lane) this.lane = null;
    lane.connection.then(
      (c) => (lane.broken ? c.destroy() : c.release()),
      () => undefined,
    );
  }

  private async writeAsync(
    exec: Exec,
    events: PreparedEvent[],
    mayBeStored: boolean,
    repair: boolean,
  ): Promise<AuditEvent[]> {
    const reads = this.readStatements(events, mayBeStored, repair);
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
    repair: boolean,
  ): Promise<AuditEvent[]> {
    const orgs = [...new Set(events.map((e) => e.orgId))];
    // Until this batch has read its orgs' state, no one-trip write can be planned on them.
    let reading = true;
    const doneReading = () => {
      if (reading) for (const o of orgs) count(this.locking, o, -1);
      reading = false;
    };
    for (const o of orgs) count(this.locking, o, +1);
    const queryRunner = this.dataSource.createQueryRunner();
    let open = false;
    try {
      await queryRunner.connect();
      const reads = this.readStatements(events, mayBeStored, repair);
      open = true;
      const read = joinStatements(reads.statements, ['START TRANSACTION']);
      const head = await queryRunner.query(read.sql, read.params);
      const { plan, storedById } = this.planFromReads(events, reads, head.slice(1));
      // The rows stay locked until COMMIT, so the next batch can be planned on this one's outcome.
      for (const [org, state] of plan.states) this.expected.set(org, state);
      doneReading();
      const writes = joinStatements(this.writeStatements(plan), [], ['COMMIT']);
      await committing(queryRunner.query(writes.sql, writes.params));
      open = false;
      this.remember(events);
      return mergeStored(events, plan.events, storedById);
    } catch (err) {
      // A failed statement stops the rest of its round trip, COMMIT included.
      if (open) await queryRunner.query('ROLLBACK').catch(() => undefined);
      this.forget(events);
      throw err;
    } finally {
      doneReading();
      await queryRunner.release();
    }
  }

  private readStatements(
    events: PreparedEvent[],
    mayBeStored: boolean,
    repair: boolean,
  ): ReadStatements {
    const statements: Statement[] = [];
    const orgs = [...new Set(events.map((e) => e.orgId))].sort();
    // Repairing, every row is made sure of: a missing row cannot be locked.
    const missing = repair ? orgs : orgs.filter((o) => !this.knownOrgs.has(o));
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
    // Read after the locks are held (and locking on MySQL, so it sees the latest commit).
    const lastEventIndexes: number[] = [];
    if (repair) {
      for (const org of orgs) {
        lastEventIndexes.push(statements.length);
        statements.push({ sql: this.lastEventSql(), params: [org] });
      }
    }
    return { statements, orgs, stateIndex, storedIndex, lastEventIndexes };
  }

  private planFromReads(events: PreparedEvent[], reads: ReadStatements, results: any[]) {
    const stored: EventRow[] = reads.storedIndex >= 0 ? results[reads.storedIndex] : [];
    const storedById = new Map(stored.map((r) => [r.id, r]));
    let states: StateRow[] = results[reads.stateIndex];
    // A known org without a row lost it under us: the next write makes sure of it again.
    const present = new Set(states.map((r) => r.org_id));
    for (const org of reads.orgs) if (!present.has(org)) this.knownOrgs.delete(org);
    if (reads.lastEventIndexes.length > 0) {
      const lastEvents = reads.lastEventIndexes.map((i) => (results[i] as StateRow[])[0]);
      states = reconcileStates(states, lastEvents);
    }
    const plan = this.plan(
      events.filter((e) => !storedById.has(e.id)),
      states,
    );
    return { plan, storedById };
  }

  private lastEventSql(): string {
    const lock = this.dialect === 'mysql' ? ' FOR UPDATE' : '';
    return `SELECT org_id, seq AS last_seq, hash AS last_hash FROM ${EVENTS_TABLE} WHERE org_id = ? ORDER BY seq DESC LIMIT 1${lock}`;
  }

  private writeStatements(plan: BatchPlan, saveStates = true): Statement[] {
    const statements: Statement[] = [];
    for (let i = 0; i < plan.eventRows.length; i += EVENT_CHUNK) {
      const chunk = plan.eventRows.slice(i, i + EVENT_CHUNK);
      statements.push({ sql: INSERT_EVENTS(chunk.length), params: flatten(chunk) });
    }
    for (let i = 0; i < plan.termRows.length; i += TERM_CHUNK) {
      const chunk = plan.termRows.slice(i, i + TERM_CHUNK);
      statements.push({ sql: INSERT_TERMS(chunk.length), params: flatten(chunk) });
    }
    if (saveStates && plan.states.length > 0) {
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
    const selectLastEvent = db.prepare(this.lastEventSql());
    // Repair: as on MySQL (see writeLocking), a collision means the state row went back in time.
    const run = db.transaction((repair: boolean) => {
      const orgs = [...new Set(events.map((e) => e.orgId))];
      let rows = orgs.map((o) => selectState.get(o)).filter(Boolean) as StateRow[];
      if (repair) {
        const lastEvents = orgs.map((o) => selectLastEvent.get(o) as StateRow | undefined);
        rows = reconcileStates(rows, lastEvents);
      }
      const storedById = new Map<string, EventRow>();
      if (mayBeStored || repair) {
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
    try {
      return run.immediate(false);
    } catch (err) {
      if (!isDuplicate(err)) throw err;
      return run.immediate(true);
    }
  }

  private plan(events: PreparedEvent[], rows: StateRow[]): BatchPlan {
    const states = new Map<string, OrgState>();
    for (const r of rows)
      states.set(r.org_id, { lastSeq: Number(r.last_seq), lastHash: r.last_hash });
    const eventRows: Value[][] = [];
    const termRows: Value[][] = [];
    const out: AuditEvent[] = [];
    for (const e of events) {
      const state = states.get(e.orgId) ?? { lastSeq: 0, lastHash: null };
      const seq = state.lastSeq + 1;
      let hash: string | null = null;
      let salt: string | null = null;
      if (this.tamperEvidence) {
        salt = newEventSalt();
        hash = eventHashV1(preparedToHashable(e, seq), state.lastHash, { salt });
      }
      states.set(e.orgId, { lastSeq: seq, lastHash: hash ?? state.lastHash });
      const hashV = hash === null ? null : EVENT_HASH_FORMAT;
      eventRows.push(eventRowValues(e, seq, { hash, hashV, salt }));
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

/**
 * Each org's state as its stored rows say: the state row, unless the org's last event is past it
 * (the row was set back or deleted while the events stayed), then that event's seq and hash.
 */
function reconcileStates(states: StateRow[], lastEvents: (StateRow | undefined)[]): StateRow[] {
  const byOrg = new Map(states.map((r) => [r.org_id, r]));
  for (const last of lastEvents) {
    if (!last) continue;
    const state = byOrg.get(last.org_id);
    if (!state || Number(last.last_seq) > Number(state.last_seq)) byOrg.set(last.org_id, last);
  }
  return [...byOrg.values()];
}

// Events a write returned because it found them stored already, instead of writing them.
const foundStored = new WeakSet<AuditEvent>();

/**
 * Whether `event`, as a write with `mayBeStored` returned it, was found stored already (by an
 * earlier attempt, or another writer of the same id) rather than stored by that write.
 */
export function wasFoundStored(event: AuditEvent): boolean {
  return foundStored.has(event);
}

/** A copy of `event` that `wasFoundStored` answers true for. */
export function asFoundStored(event: AuditEvent): AuditEvent {
  const copy = { ...event };
  foundStored.add(copy);
  return copy;
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
    if (!row) return written[next++];
    const event = rowToEvent(row);
    foundStored.add(event);
    return event;
  });
}

function cmp(a: Value, b: Value): number {
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}

// Errors of a COMMIT whose answer never came: the transaction may have committed or not.
const outcomeUnknown = new WeakSet<object>();

/**
 * Whether a failed `EventStore.write` may have committed all the same: the connection failed
 * after a COMMIT was sent and before its answer. An error the server answered with, or one before
 * the COMMIT was sent, means nothing was stored.
 */
export function mayHaveCommitted(err: unknown): boolean {
  return typeof err === 'object' && err !== null && outcomeUnknown.has(err);
}

async function committing<T>(sending: Promise<T>): Promise<T> {
  try {
    return await sending;
  } catch (err) {
    const e = err as { sqlState?: string; driverError?: { sqlState?: string } } | null;
    const answered = e?.sqlState !== undefined || e?.driverError?.sqlState !== undefined;
    if (!answered && typeof err === 'object' && err !== null) outcomeUnknown.add(err);
    throw err;
  }
}

/**
 * `INSERT ... VALUES (?, ...), ...` for n rows, built once per row count: batches of a busy
 * writer come in few sizes, and the statement is long.
 */
function multiRowInsert(head: string, columns: number): (rows: number) => string {
  const row = `(${placeholders(columns)})`;
  const cache = new Map<number, string>();
  return (rows) => {
    let sql = cache.get(rows);
    if (sql === undefined) {
      sql = `${head} VALUES ${new Array(rows).fill(row).join(', ')}`;
      cache.set(rows, sql);
    }
    return sql;
  };
}

const INSERT_EVENTS = multiRowInsert(
  `INSERT INTO ${EVENTS_TABLE} (${EVENT_COLUMNS.join(', ')})`,
  EVENT_COLUMNS.length,
);
const INSERT_TERMS = multiRowInsert(
  `INSERT INTO ${TERMS_TABLE} (org_id, term, occurred_at, event_id)`,
  4,
);

function flatten(rows: Value[][]): Value[] {
  const out: Value[] = [];
  for (const row of rows) for (const v of row) out.push(v);
  return out;
}

/** One statement's worth of SQL and parameters from several, for a multi-statement packet. */
function joinStatements(statements: Statement[], head: string[] = [], tail: string[] = []) {
  const sql = [...head];
  const params: Value[] = [];
  for (const st of statements) {
    sql.push(st.sql);
    for (const v of st.params) params.push(v);
  }
  sql.push(...tail);
  return { sql: sql.join(';\n'), params };
}

/** Adds delta to a per-key counter, dropping keys that reach zero. */
function count(counter: Map<string, number>, key: string, delta: number): void {
  const n = (counter.get(key) ?? 0) + delta;
  if (n === 0) counter.delete(key);
  else counter.set(key, n);
}

function repeat(fragment: string, n: number): string {
  return new Array(n).fill(fragment).join(' ');
}

function laneQuery(lane: LaneConnection, sql: string, params: unknown[]): Promise<unknown> {
  return new Promise((resolve, reject) =>
    lane.query(sql, params, (err, result) => (err ? reject(err) : resolve(result))),
  );
}

function isFatal(err: unknown): boolean {
  return (err as { fatal?: boolean } | undefined)?.fatal === true;
}

function driverCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } } | undefined;
  return e?.driverError?.code ?? e?.code;
}

function isDeadlock(err: unknown): boolean {
  const code = driverCode(err);
  return !!code && MYSQL_DEADLOCK.has(code);
}

/** A unique key collision: an (org, seq) or an id already taken. */
function isDuplicate(err: unknown): boolean {
  const code = driverCode(err) ?? '';
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}
