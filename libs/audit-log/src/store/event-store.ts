import { DataSource, EntityManager } from 'typeorm';
import { AuditEvent } from '../event/audit-event.interface';
import { dialectOf, StoreDialect } from './dialect';
import { PreparedEvent } from './event-row';
import { sendsMultipleStatements } from './typeorm-driver';
import { EventWriter, WriteOptions } from './writers/event-writer';
import { MysqlLockingEventWriter } from './writers/mysql-locking-event-writer';
import { MysqlOneTripEventWriter } from './writers/mysql-one-trip-event-writer';
import { OrgStateCache } from './writers/org-state-cache';
import { SqliteEventWriter } from './writers/sqlite-event-writer';

export { asFoundStored, mayHaveCommitted, wasFoundStored } from './writers/write-outcome';

/**
 * Writes batches of events through the write path that suits the data source (see
 * `EventWriter` for what every path guarantees):
 *
 * - SQLite: `SqliteEventWriter`, the batch synchronous under an IMMEDIATE transaction;
 * - MySQL on a pool that sends several statements per packet (the module's own):
 *   `MysqlOneTripEventWriter`, one packet per batch once an org's state is known, with the
 *   locking write behind it;
 * - MySQL on any other pool (a host's DataSource): `MysqlLockingEventWriter`, statement by
 *   statement.
 */
export class EventStore {
  readonly dialect: StoreDialect;
  private readonly writer: EventWriter;

  constructor(
    // Kept on the store for the suites that reach the module's data source through it.
    private readonly dataSource: DataSource,
    tamperEvidence: boolean,
  ) {
    this.dialect = dialectOf(dataSource);
    this.writer = chooseWriter(dataSource, this.dialect, tamperEvidence);
  }

  /**
   * Writes the events in a transaction of their own; resolves once it has committed.
   * `mayBeStored`: an earlier attempt may have committed some of them without the answer reaching
   * us (the connection dropped during COMMIT), or another process may be writing the same ids;
   * those are returned as stored (see `wasFoundStored`), not written again.
   */
  write(events: PreparedEvent[], options: WriteOptions = {}): Promise<AuditEvent[]> {
    return this.writer.write(events, options);
  }

  /**
   * Writes the events through the caller's EntityManager, inside the caller's open transaction:
   * a rollback leaves no event, a commit exactly one.
   */
  async writeWith(manager: EntityManager, events: PreparedEvent[]): Promise<AuditEvent[]> {
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('AuditService.record: options.manager must belong to an open transaction');
    }
    return this.writer.writeWith(manager, events);
  }
}

/** The write path for a data source. */
function chooseWriter(
  dataSource: DataSource,
  dialect: StoreDialect,
  tamperEvidence: boolean,
): EventWriter {
  if (dialect === 'sqlite') return new SqliteEventWriter(dataSource, tamperEvidence);
  const cache = new OrgStateCache();
  const multiStatements = sendsMultipleStatements(dataSource);
  const locking = new MysqlLockingEventWriter(dataSource, tamperEvidence, cache, multiStatements);
  return multiStatements
    ? new MysqlOneTripEventWriter(dataSource, tamperEvidence, cache, locking)
    : locking;
}
