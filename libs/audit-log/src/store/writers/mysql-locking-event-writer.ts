import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from '../../event/audit-event.interface';
import { PreparedEvent } from '../event-row';
import { orgsOf } from './batch-plan';
import { joinStatements } from './batch-sql';
import { EventWriter, WriteOptions } from './event-writer';
import { LockedBatch } from './locked-batch';
import { OrgStateCache } from './org-state-cache';
import { committing, isDeadlock, isDuplicate, mergeStored } from './write-outcome';

/**
 * MySQL, the write that reads each org's state under a row lock (`SELECT ... FOR UPDATE`) first.
 *
 * The org's state row is the authority on where its sequence stands, but the database can go
 * back in time under a running process (a restore, a lagging replica taking over, rows deleted
 * by hand): the row may be missing or behind the events it holds. The insert then collides on
 * an existing (org, seq) or id, and the batch is tried once more in repair mode, which re-derives
 * each org's state from its last stored event under the same lock, and looks its ids up in case
 * they are stored already. The repaired state is saved with the batch.
 *
 * With `multiStatements` (the module's own pool) the batch takes two round trips, begin + lock +
 * read, then inserts + state + COMMIT, instead of one per statement: group commit keeps a closed
 * loop of callers waiting on each batch, so round trips are most of its latency.
 */
export class MysqlLockingEventWriter implements EventWriter {
  private readonly batch: LockedBatch;

  constructor(
    private readonly dataSource: DataSource,
    tamperEvidence: boolean,
    private readonly cache: OrgStateCache,
    private readonly multiStatements: boolean,
  ) {
    this.batch = new LockedBatch('mysql', tamperEvidence, cache);
  }

  write(events: PreparedEvent[], options: WriteOptions = {}): Promise<AuditEvent[]> {
    this.cache.touch(orgsOf(events));
    return this.writeLocked(events, options.mayBeStored ?? false);
  }

  writeWith(manager: EntityManager, events: PreparedEvent[]): Promise<AuditEvent[]> {
    return this.batch.writeWith(manager, events);
  }

  /** `write`, for a writer that has counted the batch in already (the one-trip writer). */
  async writeLocked(events: PreparedEvent[], mayBeStored: boolean): Promise<AuditEvent[]> {
    let repair = false;
    for (let deadlocks = 0; ;) {
      try {
        return await this.writeOnce(events, mayBeStored, repair);
      } catch (err) {
        this.cache.forget(orgsOf(events));
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

  private async writeOnce(
    events: PreparedEvent[],
    mayBeStored: boolean,
    repair: boolean,
  ): Promise<AuditEvent[]> {
    if (this.multiStatements) return this.writeTwoTrips(events, mayBeStored, repair);
    const queryRunner = this.dataSource.createQueryRunner();
    try {
      await queryRunner.connect();
      await queryRunner.startTransaction();
      const result = await this.batch.run(
        (sql, p) => queryRunner.query(sql, p),
        events,
        mayBeStored,
        repair,
      );
      await committing(queryRunner.commitTransaction());
      this.cache.markKnown(orgsOf(events));
      return result;
    } catch (err) {
      if (queryRunner.isTransactionActive)
        await queryRunner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await queryRunner.release();
    }
  }

  private async writeTwoTrips(
    events: PreparedEvent[],
    mayBeStored: boolean,
    repair: boolean,
  ): Promise<AuditEvent[]> {
    const orgs = orgsOf(events);
    // Until this batch has read its orgs' state, no one-trip write can be planned on them.
    let reading = true;
    const doneReading = () => {
      if (reading) this.cache.countLocking(orgs, -1);
      reading = false;
    };
    this.cache.countLocking(orgs, +1);
    const queryRunner = this.dataSource.createQueryRunner();
    let open = false;
    try {
      await queryRunner.connect();
      const reads = this.batch.reads(events, mayBeStored, repair);
      open = true;
      const read = joinStatements(reads.statements, ['START TRANSACTION']);
      const head = await queryRunner.query(read.sql, read.params);
      const { plan, storedById } = this.batch.plan(events, reads, head.slice(1));
      // The rows stay locked until COMMIT, so the next batch can be planned on this one's outcome.
      this.cache.expect(plan.states);
      doneReading();
      const writes = joinStatements(this.batch.sql.writes(plan), [], ['COMMIT']);
      await committing(queryRunner.query(writes.sql, writes.params));
      open = false;
      this.cache.markKnown(orgs);
      return mergeStored(events, plan.events, storedById);
    } catch (err) {
      // A failed statement stops the rest of its round trip, COMMIT included.
      if (open) await queryRunner.query('ROLLBACK').catch(() => undefined);
      this.cache.forget(orgs);
      throw err;
    } finally {
      doneReading();
      await queryRunner.release();
    }
  }
}
