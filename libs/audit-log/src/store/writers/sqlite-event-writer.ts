import type { Database } from 'better-sqlite3';
import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from '../../event/audit-event.interface';
import { EventRow, PreparedEvent } from '../event-row';
import { sqliteDatabase } from '../typeorm-driver';
import { planBatch, reconcileStates, StateRow } from './batch-plan';
import { insertEventsSql, insertTermsSql } from './batch-sql';
import { EventWriter, WriteOptions } from './event-writer';
import { LockedBatch } from './locked-batch';
import { OrgStateCache } from './org-state-cache';
import { isDuplicate, mergeStored } from './write-outcome';

/**
 * SQLite: the whole batch runs synchronously on the raw connection under an IMMEDIATE
 * transaction, so nothing can interleave with it, in this process or another. TypeORM shares
 * one connection for every query runner on SQLite; while a host transaction is open on it, the
 * batch waits instead of joining that transaction.
 */
export class SqliteEventWriter implements EventWriter {
  private readonly db: Database;
  private readonly batch: LockedBatch;

  constructor(
    dataSource: DataSource,
    private readonly tamperEvidence: boolean,
  ) {
    this.db = sqliteDatabase(dataSource);
    // SQLite keeps no per-org cache: reading the state row costs no round trip.
    this.batch = new LockedBatch('sqlite', tamperEvidence, new OrgStateCache());
  }

  async write(events: PreparedEvent[], options: WriteOptions = {}): Promise<AuditEvent[]> {
    const db = this.db;
    while (db.inTransaction) await new Promise((r) => setTimeout(r, 1));
    const sql = this.batch.sql;
    const selectState = db.prepare(sql.selectStates(1));
    const insertEvent = db.prepare(insertEventsSql(1));
    const insertTerm = db.prepare(insertTermsSql(1));
    const saveState = db.prepare(sql.saveStates(1));
    const addToRollup = db.prepare(sql.addToRollup(1));
    const selectEvent = db.prepare(sql.selectStored(1));
    const selectLastEvent = db.prepare(sql.lastEvent());
    const mayBeStored = options.mayBeStored ?? false;
    // Repair: a collision means the state row went back in time (see EventWriter).
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
      const plan = planBatch(
        events.filter((e) => !storedById.has(e.id)),
        rows,
        this.tamperEvidence,
      );
      for (const r of plan.eventRows) insertEvent.run(r);
      for (const r of plan.termRows) insertTerm.run(r);
      for (const r of plan.rollupRows) addToRollup.run(r);
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

  writeWith(manager: EntityManager, events: PreparedEvent[]): Promise<AuditEvent[]> {
    return this.batch.writeWith(manager, events);
  }
}
