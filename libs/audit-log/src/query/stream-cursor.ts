import { createHmac } from 'node:crypto';
import { CursorCodec, InvalidCursorError } from './cursor';

export { InvalidCursorError };

/** The order of the events stream: processing order, `seq` ascending or descending. */
export type StreamSortOrder = 'asc' | 'desc';

/** What a stream cursor keeps between requests, so that a cursor alone continues. */
export interface StreamCursorState {
  sortOrder: StreamSortOrder;
  /** Inclusive bounds on the event `time`, epoch ms, as the first request gave them. */
  from?: number;
  to?: number;
  /**
   * Ascending: the last seq returned; the next page is `seq > after`. Descending: the seq the
   * current walk down stops above (the top of the previous walk, 0 for the first).
   */
  after: number;
  /** Descending only: the last seq returned in this walk; the next page is `seq < before`. */
  before?: number;
  /** Descending only: the highest seq of this walk; where the next walk stops. */
  top?: number;
}

// Seqs are positive BIGINTs; JSON carries them exactly up to 2^53.
const isSeq = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
const isTime = (n: unknown): n is number => Number.isSafeInteger(n);

/**
 * Cursors of GET events-stream: opaque, HMAC-signed and bound to the org, by a `CursorCodec`
 * of their own. Its key is derived from the admin secret for this use only, so a cursor of
 * GET events is not a stream cursor (nor the other way round) even with the same secret.
 *
 * Unlike a GET events cursor, a stream cursor carries its sort order and time filters (Atlassian:
 * "the sort order is maintained in the cursor"): a poller keeps only the cursor. The codec's
 * position holds the seq the next page starts from and the rest of the state, both signed.
 */
export class StreamCursorCodec {
  private readonly codec: CursorCodec;

  constructor(secret: string | Buffer) {
    this.codec = new CursorCodec(
      createHmac('sha256', secret).update('auditkit:events-stream:v1').digest(),
    );
  }

  encode(orgId: string, state: StreamCursorState): string {
    const rest = [state.sortOrder, state.from ?? null, state.to ?? null];
    if (state.sortOrder === 'desc') rest.push(state.before ?? null, state.top ?? state.after);
    return this.codec.encode(orgId, {}, { time: state.after, id: JSON.stringify(rest) });
  }

  /** The state of a cursor of this org, or InvalidCursorError. */
  decode(cursor: string, orgId: string): StreamCursorState {
    const decoded = this.codec.decode(cursor, orgId);
    const bad = () => new InvalidCursorError('is not a cursor of this API');
    // Only what encode() makes: a first-version cursor shape or a carried query is not ours.
    if (decoded.legacyKey !== undefined || Object.keys(decoded.query).length > 0) throw bad();
    const pos = decoded.position;
    let rest: unknown;
    try {
      rest = JSON.parse(pos.id);
    } catch {
      throw bad();
    }
    if (!Array.isArray(rest) || !isSeq(pos.time)) throw bad();
    const [sortOrder, from, to, before, top] = rest as unknown[];
    if (sortOrder !== 'asc' && sortOrder !== 'desc') throw bad();
    if ((from !== null && !isTime(from)) || (to !== null && !isTime(to))) throw bad();
    const state: StreamCursorState = { sortOrder, after: pos.time };
    if (from !== null) state.from = from as number;
    if (to !== null) state.to = to as number;
    if (sortOrder === 'desc') {
      if (rest.length !== 5 || (before !== null && !isSeq(before)) || !isSeq(top)) throw bad();
      if (before !== null) state.before = before as number;
      state.top = top;
    } else if (rest.length !== 3) {
      throw bad();
    }
    return state;
  }
}
