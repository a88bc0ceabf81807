import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { hashTerm } from '../common/terms';
import { isUlid } from '../common/ulid';
import { AuditEvent } from '../event/audit-event.interface';
import { locationCondition, locationIndex } from '../location/location-filter';
import { dialectOf, placeholders, StoreDialect } from '../store/dialect';
import { eventHasTerm, EventRow, rowToEvent } from '../store/event-row';
import { EVENTS_TABLE, TERMS_TABLE } from '../store/event-table';
import { CursorPosition } from './cursor';
import { asList, EventFilters } from './event-filters';

/** One page of events, newest first. */
export interface EventPage {
  events: AuditEvent[];
  /** Where the next page starts, or null on the last page. */
  next: CursorPosition | null;
}

/** A page read backwards from a position: the rows just newer than it, newest first. */
export interface EventPageBefore {
  events: AuditEvent[];
  /** Whether still newer rows exist (a page before this one). */
  more: boolean;
  /** The first (newest) and last (oldest) row of the page; null when it is empty. */
  first: CursorPosition | null;
  last: CursorPosition | null;
}

/**
 * Reads an org's events newest first (time desc, id desc), or oldest first (`asc`), with keyset
 * paging. Every shape walks
 * an index in order, so a page 100,000 rows deep costs what the first one does: on MariaDB the
 * index is forced, since its optimizer otherwise scans for keyset conditions (measured in bench/search.bench.ts; see README, Performance).
 */
@Injectable()
export class EventQueryService {
  private readonly dialect: StoreDialect;

  constructor(@Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
  }

  async get(orgId: string, id: string): Promise<AuditEvent | null> {
    if (!isUlid(id)) return null;
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT * FROM ${EVENTS_TABLE} WHERE id = ? AND org_id = ?`,
      [id, orgId],
    );
    return rows.length ? rowToEvent(rows[0]) : null;
  }

  async page(
    orgId: string,
    filters: EventFilters,
    limit: number,
    after?: CursorPosition,
    order: 'desc' | 'asc' = 'desc',
  ): Promise<EventPage> {
    const { sql, params } = this.build(orgId, filters, limit + 1, after, order);
    const rows: EventRow[] = await this.dataSource.query(sql, params);
    const more = rows.length > limit;
    const pageRows = more ? rows.slice(0, limit) : rows;
    let events = pageRows.map(rowToEvent);
    // The term index holds 128-bit hashes; re-checking the value keeps a collision out.
    if (filters.q !== undefined) events = events.filter((e) => eventHasTerm(e, filters.q!));
    const last = pageRows[pageRows.length - 1];
    return {
      events,
      next: more && last ? { time: Number(last.occurred_at), id: last.id } : null,
    };
  }

  /**
   * The `limit` matching rows just before `before` in `order`, in that order: the page before
   * the one that starts at `before` (the `links.prev` of GET events). Walks the same index the
   * other way.
   */
  async pageBefore(
    orgId: string,
    filters: EventFilters,
    limit: number,
    before: CursorPosition,
    order: 'desc' | 'asc' = 'desc',
  ): Promise<EventPageBefore> {
    const back = order === 'desc' ? 'asc' : 'desc';
    const { sql, params } = this.build(orgId, filters, limit + 1, before, back);
    const rows: EventRow[] = await this.dataSource.query(sql, params);
    const more = rows.length > limit;
    const pageRows = (more ? rows.slice(0, limit) : rows).reverse();
    let events = pageRows.map(rowToEvent);
    if (filters.q !== undefined) events = events.filter((e) => eventHasTerm(e, filters.q!));
    const at = (r: EventRow | undefined) => (r ? { time: Number(r.occurred_at), id: r.id } : null);
    return { events, more, first: at(pageRows[0]), last: at(pageRows[pageRows.length - 1]) };
  }

  /** Every matching event, newest first, fetched page by page: memory stays flat. */
  async *stream(
    orgId: string,
    filters: EventFilters,
    options: { maxRows?: number; pageSize?: number } = {},
  ): AsyncGenerator<AuditEvent> {
    const pageSize = options.pageSize ?? 1000;
    let remaining = options.maxRows ?? Number.POSITIVE_INFINITY;
    let after: CursorPosition | undefined;
    while (remaining > 0) {
      const page = await this.page(orgId, filters, Math.min(pageSize, remaining), after);
      for (const e of page.events) yield e;
      remaining -= page.events.length;
      if (!page.next) return;
      after = page.next;
    }
  }

  /**
   * The SQL of one page; exposed for the bench's EXPLAIN. `desc` (newest first) reads the rows
   * older than `position`; `asc` reads those newer than it, oldest first (a page backwards).
   */
  build(
    orgId: string,
    f: EventFilters,
    limit: number,
    position?: CursorPosition,
    order: 'desc' | 'asc' = 'desc',
  ): { sql: string; params: unknown[] } {
    const after = position;
    const mysql = this.dialect === 'mysql';
    const { from, where, params, time, id } = this.filtered(orgId, f);
    const cmp = order === 'desc' ? '<' : '>';
    if (after) {
      if (mysql) {
        // The OR form, not a row constructor: with the forced index MariaDB seeks straight to it.
        where.push(`(${time} ${cmp} ? OR (${time} = ? AND ${id} ${cmp} ?))`);
        params.push(after.time, after.time, after.id);
      } else {
        // SQLite seeks the index with a row value; with the OR form it scans from the newest row.
        where.push(`(${time}, ${id}) ${cmp} (?, ?)`);
        params.push(after.time, after.id);
      }
    }
    const select = mysql && f.q !== undefined ? 'SELECT STRAIGHT_JOIN e.*' : 'SELECT e.*';
    const dir = order === 'desc' ? 'DESC' : 'ASC';
    return {
      sql: `${select} FROM ${from} WHERE ${where.join(' AND ')} ORDER BY ${time} ${dir}, ${id} ${dir} LIMIT ${Number(limit)}`,
      params,
    };
  }

  /**
   * The FROM and WHERE of the events that match `f` in an org, on the index that suits the
   * filters (the terms' primary key for `q`), with the names of their time and id columns. Pages
   * add keyset conditions and an order; the histogram groups them.
   */
  filtered(
    orgId: string,
    f: EventFilters,
  ): { from: string; where: string[]; params: unknown[]; time: string; id: string } {
    const mysql = this.dialect === 'mysql';
    const actors = f.actor === undefined ? undefined : asList(f.actor);
    const force = (index: string) => (mysql ? ` FORCE INDEX (${index})` : '');
    const where: string[] = [];
    const params: unknown[] = [];
    let from: string;
    let time: string;
    let id: string;
    if (f.q !== undefined) {
      from = `${TERMS_TABLE} t${force('PRIMARY')} JOIN ${EVENTS_TABLE} e${force('PRIMARY')} ON e.id = t.event_id`;
      where.push('t.org_id = ?', 't.term = ?', 'e.org_id = ?');
      params.push(orgId, hashTerm(f.q), orgId);
      time = 't.occurred_at';
      id = 't.event_id';
    } else {
      const index =
        f.actions?.length === 1
          ? 'idx_auditkit_events_org_action_time'
          : actors?.length === 1
            ? 'idx_auditkit_events_org_actor_time'
            : ((f.locations && locationIndex(f.locations)) ?? 'idx_auditkit_events_org_time');
      from = `${EVENTS_TABLE} e${force(index)}`;
      where.push('e.org_id = ?');
      params.push(orgId);
      time = 'e.occurred_at';
      id = 'e.id';
    }
    if (f.from !== undefined) {
      where.push(`${time} >= ?`);
      params.push(f.from);
    }
    if (f.to !== undefined) {
      where.push(`${time} <= ?`);
      params.push(f.to);
    }
    if (f.actions?.length) {
      where.push(`e.action IN (${placeholders(f.actions.length)})`);
      params.push(...f.actions);
    }
    if (f.category !== undefined) {
      where.push('e.category = ?');
      params.push(f.category);
    }
    // Any of the values; `asList` also reads the single string of an export stored before these
    // filters took lists.
    for (const [column, value] of [
      ['actor_id', actors],
      ['ip', f.ip === undefined ? undefined : asList(f.ip)],
      ['product', f.product === undefined ? undefined : asList(f.product)],
    ] as const) {
      if (value?.length) {
        where.push(
          value.length === 1 ? `e.${column} = ?` : `e.${column} IN (${placeholders(value.length)})`,
        );
        params.push(...value);
      }
    }
    if (f.locations?.length) {
      const location = locationCondition(f.locations);
      where.push(location.sql);
      params.push(...location.params);
    }
    return { from, where, params, time, id };
  }
}
