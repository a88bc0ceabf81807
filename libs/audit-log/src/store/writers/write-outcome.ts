import { AuditEvent } from '../../event/audit-event.interface';
import { EventRow, PreparedEvent, rowToEvent } from '../event-row';

// What a write's caller learns besides the events: which of them were found stored already, and
// whether a failed write may have committed all the same. Both are kept beside the objects they
// describe (weak sets), so the events and errors stay what the drivers and callers expect.

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
export function mergeStored(
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

/** `sending`, a round trip that ends with COMMIT: an error without an answer is marked unknown. */
export async function committing<T>(sending: Promise<T>): Promise<T> {
  try {
    return await sending;
  } catch (err) {
    const e = err as { sqlState?: string; driverError?: { sqlState?: string } } | null;
    const answered = e?.sqlState !== undefined || e?.driverError?.sqlState !== undefined;
    if (!answered && typeof err === 'object' && err !== null) outcomeUnknown.add(err);
    throw err;
  }
}

const MYSQL_DEADLOCK = new Set(['ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/** The driver's error code, whether TypeORM wrapped the error or not. */
export function driverCode(err: unknown): string | undefined {
  const e = err as { code?: string; driverError?: { code?: string } } | undefined;
  return e?.driverError?.code ?? e?.code;
}

/** A deadlock or lock wait timeout: the transaction was rolled back and may simply be retried. */
export function isDeadlock(err: unknown): boolean {
  const code = driverCode(err);
  return !!code && MYSQL_DEADLOCK.has(code);
}

/** A unique key collision: an (org, seq) or an id already taken. */
export function isDuplicate(err: unknown): boolean {
  const code = driverCode(err) ?? '';
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** The connection itself failed (mysql2 `fatal`), not only the statement. */
export function isFatal(err: unknown): boolean {
  return (err as { fatal?: boolean } | undefined)?.fatal === true;
}
