import { DataSource } from 'typeorm';
import { eventTerms, EventRow, rowToEvent } from '../store/event-row';
import { dialectOf } from '../store/dialect';
import { EVENTS_TABLE, ROLLUP_TABLE, TERMS_TABLE } from '../store/event-table';
import { RollupCounts } from '../store/writers/batch-plan';
import { BatchSql } from '../store/writers/batch-sql';

const SCAN_PAGE = 5000;

/** Where an org's purgeable prefix ends: its last seq and that event's hash. */
export interface PrefixEnd {
  throughSeq: number;
  head: string | null;
}

/**
 * The longest run of due events from the start of an org's chain (just after `fromSeq`). An
 * event is due when its time, or its recorded time if that is earlier, is before `cutoff`: an
 * event imported with an old `time` waits until every event before it is due too, so the purge
 * never leaves a gap in the middle of a chain. A missing seq stops the run as well: the purge
 * never removes the evidence of a gap.
 */
export async function findDuePrefix(
  dataSource: DataSource,
  orgId: string,
  fromSeq: number,
  cutoff: number,
): Promise<PrefixEnd | null> {
  let end: PrefixEnd | null = null;
  let prev = fromSeq;
  for (;;) {
    // A window of seqs, not `seq > ?` alone: MariaDB reads that on the (org_id, seq) key from
    // the org's first entry (a `ref` on org_id), which grows with every page.
    const rows: {
      seq: string | number;
      occurred_at: string | number;
      recorded_at: string | number;
      hash: string | null;
    }[] = await dataSource.query(
      `SELECT seq, occurred_at, recorded_at, hash FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ${SCAN_PAGE}`,
      [orgId, prev, prev + SCAN_PAGE],
    );
    for (const r of rows) {
      const seq = Number(r.seq);
      const age = Math.min(Number(r.occurred_at), Number(r.recorded_at));
      if (seq !== prev + 1 || age >= cutoff) return end;
      end = { throughSeq: seq, head: r.hash };
      prev = seq;
    }
    if (rows.length < SCAN_PAGE) return end;
  }
}

/** Counts the events and exact-term rows a purge through `throughSeq` would remove. */
export async function countPrefix(
  dataSource: DataSource,
  orgId: string,
  throughSeq: number,
): Promise<{ events: number; terms: number }> {
  let events = 0;
  let terms = 0;
  // Windows of seqs from the org's first event (see findDuePrefix for why not `seq > ?`).
  const [first]: { seq: string | number | null }[] = await dataSource.query(
    `SELECT MIN(seq) AS seq FROM ${EVENTS_TABLE} WHERE org_id = ?`,
    [orgId],
  );
  for (let lo = Number(first?.seq ?? throughSeq + 1) - 1; lo < throughSeq; lo += SCAN_PAGE) {
    const rows: EventRow[] = await dataSource.query(
      `SELECT * FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ${SCAN_PAGE}`,
      [orgId, lo, Math.min(lo + SCAN_PAGE, throughSeq)],
    );
    for (const r of rows) terms += eventTerms(rowToEvent(r)).length;
    events += rows.length;
  }
  return { events, terms };
}

/**
 * Deletes an org's events with seq up to `throughSeq`, and their exact-term rows, in batches of
 * `batchSize` events (each batch its own short transaction). The term rows are found by their
 * full primary key, recomputed from the events, since the term table has no seq. The same
 * transaction takes the events off the activity rollup, dropping the hours it empties, so the
 * histogram never counts an event that is gone.
 */
export async function deletePrefix(
  dataSource: DataSource,
  orgId: string,
  throughSeq: number,
  batchSize: number,
): Promise<{ events: number; terms: number }> {
  const dialect = dialectOf(dataSource);
  const mysql = dialect === 'mysql';
  const sql = new BatchSql(dialect);
  let events = 0;
  let terms = 0;
  for (;;) {
    const removed = await dataSource.transaction(async (m) => {
      const rows: EventRow[] = await m.query(
        `SELECT * FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq <= ? ORDER BY seq LIMIT ${batchSize}${mysql ? ' FOR UPDATE' : ''}`,
        [orgId, throughSeq],
      );
      if (rows.length === 0) return { events: 0, terms: 0 };
      const keys: (string | number)[][] = [];
      const rollup = new RollupCounts();
      for (const r of rows) {
        for (const term of eventTerms(rowToEvent(r)))
          keys.push([orgId, term, Number(r.occurred_at), r.id]);
        rollup.add(orgId, Number(r.occurred_at), r.category, -1);
      }
      let termCount = 0;
      for (let i = 0; i < keys.length; i += 1000) {
        const chunk = keys.slice(i, i + 1000);
        const result = await m.queryRunner!.query(
          `DELETE FROM ${TERMS_TABLE} WHERE (org_id, term, occurred_at, event_id) IN (${chunk.map(() => '(?, ?, ?, ?)').join(', ')})`,
          chunk.flat(),
          true,
        );
        termCount += affected(result);
      }
      const first = Number(rows[0].seq);
      const last = Number(rows[rows.length - 1].seq);
      const result = await m.queryRunner!.query(
        `DELETE FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq >= ? AND seq <= ?`,
        [orgId, first, last],
        true,
      );
      const counts = rollup.rows();
      for (let i = 0; i < counts.length; i += 1000) {
        const chunk = counts.slice(i, i + 1000);
        await m.query(sql.addToRollup(chunk.length), chunk.flat());
      }
      await m.query(
        `DELETE FROM ${ROLLUP_TABLE} WHERE org_id = ? AND hour_start >= ? AND hour_start <= ? AND events <= 0`,
        [orgId, counts[0][1], counts[counts.length - 1][1]],
      );
      return { events: affected(result), terms: termCount, batch: rows.length };
    });
    events += removed.events;
    terms += removed.terms;
    if (!('batch' in removed) || (removed.batch as number) < batchSize) return { events, terms };
  }
}

// A structured query result: both drivers fill in `affected` for a DELETE.
function affected(result: unknown): number {
  return Number((result as { affected?: number } | null)?.affected ?? 0);
}
