import { EntityManager } from 'typeorm';
import { AuditEvent } from '../../event/audit-event.interface';
import { PreparedEvent } from '../event-row';

/** Options of one `EventWriter.write`. */
export interface WriteOptions {
  /**
   * An earlier attempt may have committed some of the events without the answer reaching us
   * (the connection dropped during COMMIT), or another process may be writing the same ids:
   * those are looked up under the org locks and returned as stored (`wasFoundStored`), not
   * written again.
   * @default false
   */
  mayBeStored?: boolean;
}

/**
 * A write path of the event store. Whatever the path, a write gives each org's events the next
 * seqs of its gap-free sequence and links them into its hash chain, inserts them with their
 * exact terms and moves the org's state row on, in one transaction that holds the org rows'
 * locks until COMMIT: seqs increase in commit order, across processes too. A write that finds
 * the state row behind the events it holds (a restore, rows deleted by hand) re-derives the
 * state from the last stored event and goes on from there (docs/reliability.md).
 */
export interface EventWriter {
  /**
   * Writes the events in a transaction of their own; resolves with them as stored, in input
   * order, once it has committed. A failure may have committed all the same only where
   * `mayHaveCommitted(err)` says so.
   */
  write(events: PreparedEvent[], options?: WriteOptions): Promise<AuditEvent[]>;

  /**
   * Writes the events through `manager`, inside its open transaction: they are stored if and
   * when the caller commits.
   */
  writeWith(manager: EntityManager, events: PreparedEvent[]): Promise<AuditEvent[]>;
}
