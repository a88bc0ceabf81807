import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { AuditEvent } from '../event/audit-event.interface';
import { dialectOf, placeholders, StoreDialect } from '../store/dialect';
import { EventRow, rowToEvent } from '../store/event-row';
import { EVENTS_TABLE } from '../store/store.constants';
import { StreamCursorState } from './stream-cursor';

/** An event of the stream: the event and when AuditKit stored it. */
export interface StreamEvent {
  event: AuditEvent;
  /** `recorded_at`: when the event reached AuditKit (ISO 8601 UTC, ms). */
  processedAt: string;
  /** The event's chain hash (hex), null for events written without tamper evidence. */
  hash: string | null;
}

/** One page of the stream and the cursor state to come back with (always one). */
export interface StreamPage {
  events: StreamEvent[];
  next: StreamCursorState;
}

/**
 * Reads an org's events in processing order: by `seq`, which the store assigns per org, gap-free,
 * under the org's row lock and in the transaction that inserts the event (store/event-store.ts).
 * A transaction holding seq n + 1 can only take that lock once the one holding n has committed,
 * so no event can become visible below a seq already returned: `seq > last` is exact, also while
 * events commit during the walk, and a cursor that ran dry returns exactly what is new.
 *
 * Descending pages walk down from the newest event; once a walk is done, its cursor starts the
 * next walk above the highest seq it saw, so a descending poller gets the new events too, newest
 * first, each exactly once.
 *
 * Every page is one keyset range on the (org_id, seq) unique index.
 */
/** Values the stream's events must have, each list one of (a viewer token's narrowing). */
export interface StreamRestriction {
  actions?: string[];
  actor?: string[];
  product?: string[];
}

@Injectable()
export class StreamQueryService {
  private readonly dialect: StoreDialect;

  constructor(@Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
  }

  /**
   * `only` restricts the page to some actions, actors or products (a viewer token's narrowing);
   * it is not kept in the cursor but given again with each request.
   */
  async page(
    orgId: string,
    state: StreamCursorState,
    limit: number,
    only: StreamRestriction = {},
  ): Promise<StreamPage> {
    const desc = state.sortOrder === 'desc';
    // Descending needs one row more to know whether the walk goes on.
    const rows = await this.rows(orgId, state, desc ? limit + 1 : limit, only);
    const more = desc && rows.length > limit;
    const pageRows = more ? rows.slice(0, limit) : rows;
    const events = pageRows.map((r) => ({
      event: rowToEvent(r),
      processedAt: new Date(Number(r.recorded_at)).toISOString(),
      hash: r.hash,
    }));
    const seqs = pageRows.map((r) => Number(r.seq));
    const filters = { from: state.from, to: state.to };
    let next: StreamCursorState;
    if (!desc) {
      next = {
        sortOrder: 'asc',
        ...filters,
        after: seqs.length ? seqs[seqs.length - 1] : state.after,
      };
    } else {
      // The first page of a walk (no `before`) sets its top: the newest event there was.
      const top = state.before === undefined && seqs.length ? seqs[0] : (state.top ?? state.after);
      next = more
        ? { sortOrder: 'desc', ...filters, after: state.after, before: seqs[seqs.length - 1], top }
        : { sortOrder: 'desc', ...filters, after: top, top };
    }
    return { events, next };
  }

  private rows(
    orgId: string,
    s: StreamCursorState,
    limit: number,
    only: StreamRestriction,
  ): Promise<EventRow[]> {
    // MariaDB could pick a time index for from/to and sort; the seq index is the keyset.
    const force = this.dialect === 'mysql' ? ' FORCE INDEX (uq_auditkit_events_org_seq)' : '';
    const where = ['org_id = ?', 'seq > ?'];
    const params: unknown[] = [orgId, s.after];
    if (s.before !== undefined) {
      where.push('seq < ?');
      params.push(s.before);
    }
    if (s.from !== undefined) {
      where.push('occurred_at >= ?');
      params.push(s.from);
    }
    if (s.to !== undefined) {
      where.push('occurred_at <= ?');
      params.push(s.to);
    }
    for (const [column, values] of [
      ['action', only.actions],
      ['actor_id', only.actor],
      ['product', only.product],
    ] as const) {
      if (!values?.length) continue;
      where.push(`${column} IN (${placeholders(values.length)})`);
      params.push(...values);
    }
    const order = s.sortOrder === 'desc' ? 'DESC' : 'ASC';
    return this.dataSource.query(
      `SELECT * FROM ${EVENTS_TABLE}${force} WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ${Number(limit)}`,
      params,
    );
  }
}
