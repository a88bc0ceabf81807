import { createHmac, timingSafeEqual } from 'node:crypto';
import type { EventFilters } from './event-filters';
import { compact, filtersKey, locationsKey, sortedList, withoutUndefined } from './cursor-query';

export { filtersKey } from './cursor-query';

/** A position in the newest-first order: the last row of a page (or the first, going back). */
export interface CursorPosition {
  time: number;
  id: string;
}

/** `next` continues older than the position; `prev` goes back to the newer rows before it. */
export type CursorDirection = 'next' | 'prev';

/**
 * The longest cursor handed out. A cursor carries its query so that it can be sent alone; a
 * query too large for this (hundreds of long ids) gets a cursor that carries only a digest of it
 * and must then be sent with the same query (see {@link DecodedCursor.carried}). 4 KiB keeps a
 * link with a cursor well under Node's 16 KiB limit on request heads.
 */
export const CURSOR_MAX_LENGTH = 4096;

/** Why a cursor was refused. */
export class InvalidCursorError extends Error {}

/** A checked cursor. */
export interface DecodedCursor {
  direction: CursorDirection;
  position: CursorPosition;
  /** The page size the cursor was made with; used when the request sends no `limit`. */
  limit?: number;
  /** The query the cursor continues (its `from` and `to` always; the rest unless too large). */
  query: EventFilters;
  /**
   * False when the query was too large to carry: then only `from` and `to` are in `query`, and
   * the other filters must be sent again, equal to those the cursor was made for.
   */
  carried: boolean;
  /** With `carried: false`: the digest of the filters other than `from` and `to`. */
  digest?: string;
  /** A cursor of the first version: the digest of the org and the whole query, nothing else. */
  legacyKey?: string;
}

/** One parameter of a request that a cursor cannot continue with. */
export interface CursorConflict {
  parameter: string;
  detail: string;
}

const VERSION = 2;

/**
 * Opaque keyset cursors, HMAC-signed and bound to their org. A cursor carries the query it was
 * made for, the page size and the direction, so that it can be sent alone (Atlassian's "send only
 * the cursor"); a forged one, or one of another org, is refused. Cursors of the first version
 * (a digest of the query, no query) are still read: they need the query sent again.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = createHmac('sha256', secret).update('auditkit:cursor:v1').digest();
  }

  encode(
    orgId: string,
    filters: EventFilters,
    pos: CursorPosition,
    options: { direction?: CursorDirection; limit?: number } = {},
  ): string {
    const head = [
      VERSION,
      orgId,
      options.direction ?? 'next',
      pos.time,
      pos.id,
      options.limit ?? 0,
    ];
    const carried = this.seal([...head, compact(filters)]);
    if (carried.length <= CURSOR_MAX_LENGTH) return carried;
    // The order stays with the dates: which bound a walk moves away from depends on it.
    const dates: EventFilters = {};
    if (filters.from !== undefined) dates.from = filters.from;
    if (filters.to !== undefined) dates.to = filters.to;
    if (filters.sortOrder !== undefined) dates.sortOrder = filters.sortOrder;
    return this.seal([...head, dates, filtersKey(orgId, filters, false)]);
  }

  /** Whether a cursor this codec made carries its whole query (it can be sent alone). */
  carries(cursor: string): boolean {
    const parsed: unknown = JSON.parse(Buffer.from(cursor.split('.')[0], 'base64url').toString());
    return Array.isArray(parsed) && parsed.length === 7;
  }

  decode(cursor: string, orgId: string): DecodedCursor {
    const [body, sig, extra] = cursor.split('.');
    if (!body || !sig || extra !== undefined)
      throw new InvalidCursorError('is not a cursor of this API');
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new InvalidCursorError('is not a cursor of this API (signature mismatch)');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError('is not a cursor of this API');
    }
    if (!Array.isArray(parsed)) throw new InvalidCursorError('is not a cursor of this API');
    if (parsed.length === 3 && typeof parsed[0] === 'string') {
      // Version 1: [digest of org and query, time, id].
      const [key, time, id] = parsed;
      if (!Number.isSafeInteger(time) || typeof id !== 'string')
        throw new InvalidCursorError('is not a cursor of this API');
      return {
        direction: 'next',
        position: { time, id },
        query: {},
        carried: false,
        legacyKey: key,
      };
    }
    const [version, org, direction, time, id, limit, query, digest] = parsed;
    if (
      version !== VERSION ||
      typeof org !== 'string' ||
      (direction !== 'next' && direction !== 'prev') ||
      !Number.isSafeInteger(time) ||
      typeof id !== 'string' ||
      !Number.isSafeInteger(limit) ||
      query === null ||
      typeof query !== 'object'
    )
      throw new InvalidCursorError('is not a cursor of this API');
    if (org !== orgId) {
      throw new InvalidCursorError('belongs to another organization; start again without it');
    }
    return {
      direction,
      position: { time, id },
      ...(limit > 0 ? { limit } : {}),
      query: query as EventFilters,
      carried: digest === undefined,
      ...(typeof digest === 'string' ? { digest } : {}),
    };
  }

  /**
   * The query a request continues with `cursor`, or the parameters that conflict with it. A
   * parameter left out takes the cursor's value; one sent again must not change what the rest
   * of the walk returns: the same value (lists in any order), or, for the bound the walk moves
   * away from (`to` going to older pages, `from` going back to newer ones), any value that does
   * not cut into the rows still to come, so that a client recomputing `to=now` on each page keeps
   * paging. Anything else is a conflict named by its parameter.
   */
  resume(
    cursor: DecodedCursor,
    orgId: string,
    sent: EventFilters,
  ): { filters: EventFilters; conflicts: CursorConflict[] } {
    if (cursor.legacyKey !== undefined) {
      // Version 1 carried no query: the request has to say it again, exactly.
      const same = filtersKey(orgId, sent) === cursor.legacyKey;
      return {
        filters: sent,
        conflicts: same
          ? []
          : [
              {
                parameter: 'cursor',
                detail:
                  'cursor belongs to another organization or another query; start again without it',
              },
            ],
      };
    }
    const conflicts: CursorConflict[] = [];
    const { position, direction } = cursor;
    // Oldest first, `next` walks toward newer rows: away from `from`, toward `to`.
    const towardOlder = (direction === 'next') !== (cursor.query.sortOrder === 'asc');
    const movesAwayFrom = (field: 'from' | 'to', value: number) =>
      field === 'to'
        ? towardOlder && value >= position.time
        : !towardOlder && value <= position.time;
    if (sent.sortOrder !== undefined && sent.sortOrder !== cursor.query.sortOrder)
      conflicts.push(conflict('sortOrder', cursor.query.sortOrder ?? 'desc', (v) => v));
    for (const field of ['from', 'to'] as const) {
      const value = sent[field];
      if (value === undefined || value === cursor.query[field] || movesAwayFrom(field, value))
        continue;
      conflicts.push(conflict(field, cursor.query[field], (v) => new Date(v).toISOString()));
    }
    if (!cursor.carried) {
      // The query was too large to carry: the request has to say it again (dates aside).
      if (filtersKey(orgId, sent, false) !== cursor.digest)
        conflicts.push({
          parameter: 'cursor',
          detail:
            'cursor was made for a query too large to carry in it: send it with the same filters, or start again without it',
        });
      const { from: _from, to: _to, sortOrder: _order, ...rest } = sent;
      return { filters: withoutUndefined({ ...rest, ...cursor.query }), conflicts };
    }
    const carried = cursor.query;
    for (const [field, parameter] of [
      ['q', 'q'],
      ['category', 'category'],
    ] as const) {
      const value = sent[field];
      if (value !== undefined && value !== carried[field])
        conflicts.push(conflict(parameter, carried[field], (v) => v));
    }
    for (const [field, parameter] of [
      ['actions', 'action'],
      ['actor', 'actor'],
      ['ip', 'ip'],
      ['product', 'product'],
    ] as const) {
      const value = sent[field];
      if (value === undefined) continue;
      if (JSON.stringify(sortedList(value)) !== JSON.stringify(sortedList(carried[field])))
        conflicts.push(conflict(parameter, carried[field], (v) => v.join(',')));
    }
    if (
      sent.locations !== undefined &&
      (carried.locations === undefined ||
        locationsKey(sent.locations) !== locationsKey(carried.locations))
    )
      conflicts.push(conflict('location', carried.locations, (v) => JSON.stringify(v)));
    return { filters: carried, conflicts };
  }

  private seal(payload: unknown[]): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

function conflict<T>(
  parameter: string,
  carried: T | undefined,
  show: (v: T) => string,
): CursorConflict {
  const continues =
    carried === undefined ? `a query without ${parameter}` : `${parameter}=${show(carried)}`;
  return {
    parameter,
    detail: `${parameter} conflicts with the cursor, which continues ${continues}; send the cursor alone (or with the same ${parameter}), or start again without it`,
  };
}
