import { DataSource } from 'typeorm';
import { chainHash, EventRow, storedRowValues } from './event-row';
import { EVENTS_TABLE } from './store.constants';

/** The outcome of checking one org's event chain. */
export interface ChainVerification {
  orgId: string;
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** The first seq whose row does not match its hash, or where a seq is missing. */
  firstBadSeq?: number;
  reason?: string;
  /** Where the chain starts: 1, or the first seq retention left. */
  firstSeq?: number;
}

/**
 * Re-computes an org's hash chain in seq order. Retention removes the oldest events, so the
 * chain is checked from the first event still stored, whose hash anchors the rest.
 */
export async function verifyEventChain(
  dataSource: DataSource,
  orgId: string,
  pageSize = 2000,
): Promise<ChainVerification> {
  let prevHash: string | null = null;
  let prevSeq: number | null = null;
  let checked = 0;
  let firstSeq: number | undefined;
  for (;;) {
    const rows: EventRow[] = await dataSource.query(
      `SELECT * FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT ${pageSize}`,
      [orgId, prevSeq ?? 0],
    );
    for (const row of rows) {
      const seq = Number(row.seq);
      if (prevSeq === null) {
        firstSeq = seq;
        if (row.hash === null)
          return {
            orgId,
            ok: false,
            checked,
            firstBadSeq: seq,
            reason: 'tamper evidence was off when it was written',
            firstSeq,
          };
        // Seq 1 has no predecessor; a later first event (after retention) is taken as the anchor.
        if (seq === 1 && chainHash(null, storedRowValues(row)) !== row.hash) {
          return {
            orgId,
            ok: false,
            checked,
            firstBadSeq: seq,
            reason: 'the row does not match its hash',
            firstSeq,
          };
        }
      } else {
        if (seq !== prevSeq + 1)
          return {
            orgId,
            ok: false,
            checked,
            firstBadSeq: prevSeq + 1,
            reason: 'the event is missing',
            firstSeq,
          };
        if (chainHash(prevHash, storedRowValues(row)) !== row.hash) {
          return {
            orgId,
            ok: false,
            checked,
            firstBadSeq: seq,
            reason: 'the row does not match its hash',
            firstSeq,
          };
        }
      }
      prevHash = row.hash;
      prevSeq = seq;
      checked += 1;
    }
    if (rows.length < pageSize) return { orgId, ok: true, checked, firstSeq };
  }
}
