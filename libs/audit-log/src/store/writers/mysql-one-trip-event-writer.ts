import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from '../../event/audit-event.interface';
import { placeholders } from '../dialect';
import { PreparedEvent } from '../event-row';
import { ORG_STATE_TABLE } from '../event-table';
import { PooledMysqlConnection, queryConnection, takeMysqlConnection } from '../typeorm-driver';
import { orgsOf, planBatch } from './batch-plan';
import { BatchSql, joinStatements, Statement } from './batch-sql';
import { EventWriter, WriteOptions } from './event-writer';
import { MysqlLockingEventWriter } from './mysql-locking-event-writer';
import { OrgStateCache } from './org-state-cache';
import { committing, driverCode, isDeadlock, isFatal } from './write-outcome';

interface Lane {
  connection: Promise<PooledMysqlConnection>;
  users: number;
  /** Failed beyond a statement error: destroyed, not given back, once its last user is done. */
  broken: boolean;
}

/**
 * MySQL on the module's own pool (`multipleStatements`): the one-trip write, with the locking
 * write behind it. Seqs and hashes come from the state this process expects each org to be in,
 * and the whole transaction goes in one packet on a connection kept for it (the lane). The lane
 * runs packets in the order they were sent, so the next batch is planned and queued while this
 * one commits, and runs the moment it has.
 *
 * After `START TRANSACTION`, a guarded UPDATE moves each org's state on only if it still is
 * what was expected. If another writer changed an org (another process, or our locking path),
 * a batch this one was planned on did not commit, or the row is gone (rows deleted, a restore),
 * fewer rows match and the sentinel INSERT that follows fails on a duplicate key: it inserts
 * the same key twice, so it fails whether or not the table holds that key. The packet stops
 * before it writes any event, and the batch goes through the locking write. Nothing can commit
 * with a seq or hash that does not follow the row it was checked against, which stays locked
 * until COMMIT.
 *
 * Every packet starts with ROLLBACK: if the packet ahead of it stopped on an error, its open
 * transaction is undone here rather than committed by this packet's START TRANSACTION.
 *
 * A batch whose orgs have no expected state (not written by us yet, or a write on them failed),
 * that may be stored already, or whose orgs another writer moved lately, takes the locking write.
 */
export class MysqlOneTripEventWriter implements EventWriter {
  private readonly sql = new BatchSql('mysql');
  // The connection the one-trip writes in flight share; back in the pool when none is.
  private lane: Lane | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tamperEvidence: boolean,
    private readonly cache: OrgStateCache,
    private readonly locking: MysqlLockingEventWriter,
  ) {}

  async write(events: PreparedEvent[], options: WriteOptions = {}): Promise<AuditEvent[]> {
    const orgs = orgsOf(events);
    const started = this.cache.touch(orgs);
    const mayBeStored = options.mayBeStored ?? false;
    if (!mayBeStored && this.cache.canSkipLock(orgs)) {
      const written = await this.writeOneTrip(events, orgs, started);
      if (written) return written;
    }
    return this.locking.writeLocked(events, mayBeStored);
  }

  writeWith(manager: EntityManager, events: PreparedEvent[]): Promise<AuditEvent[]> {
    return this.locking.writeWith(manager, events);
  }

  /**
   * `started`: the write's number (`OrgStateCache.touch`). Returns undefined when the expected
   * state was stale: the caller takes the locking write.
   */
  private async writeOneTrip(
    events: PreparedEvent[],
    orgs: string[],
    started: number,
  ): Promise<AuditEvent[] | undefined> {
    const before = orgs.map((org) => ({ org, ...this.cache.expectedState(org)! }));
    // A stale answer with one of our own writes ahead or alongside says nothing about others.
    const behindOurOwn = this.cache.isSending(orgs);
    const plan = planBatch(
      events,
      before.map((b) => ({ org_id: b.org, last_seq: b.lastSeq, last_hash: b.lastHash })),
      this.tamperEvidence,
    );
    // The next batch builds on this one before it commits.
    this.cache.expect(plan.states);
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
      ...this.sql.writes(plan, false),
    ];
    this.cache.countSending(orgs, +1);
    const lane = this.joinLane();
    try {
      const connection = await lane.connection;
      try {
        const packet = joinStatements(statements, ['ROLLBACK', 'START TRANSACTION'], ['COMMIT']);
        await committing(queryConnection(connection, packet.sql, packet.params));
        return plan.events;
      } catch (err) {
        // Free the rows it locked now, not when the next packet happens to come.
        if (isFatal(err)) this.breakLane(lane);
        else await queryConnection(connection, 'ROLLBACK', []).catch(() => this.breakLane(lane));
        throw err;
      }
    } catch (err) {
      // Batches planned on top of this one fail their own check; the next locking write re-reads,
      // and makes sure the state row exists (it may be what was missing).
      this.cache.forget(orgs);
      if (driverCode(err) === 'ER_DUP_ENTRY') {
        if (!behindOurOwn && !this.cache.touchedSince(orgs, started))
          this.cache.markContended(orgs);
        return undefined;
      }
      if (isDeadlock(err)) return undefined;
      throw err;
    } finally {
      this.cache.countSending(orgs, -1);
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
      const lane: Lane = {
        connection: takeMysqlConnection(this.dataSource),
        users: 0,
        broken: false,
      };
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
}

function repeat(fragment: string, n: number): string {
  return new Array(n).fill(fragment).join(' ');
}
