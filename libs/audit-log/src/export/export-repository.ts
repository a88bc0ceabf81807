import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { changedRows } from '../store/changed-rows';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { EVENTS_TABLE, EXPORTS_TABLE } from '../store/store.constants';
import { ExportRecord, ExportSpec, ExportStatus } from './export-record';

interface ExportRow {
  id: string;
  org_id: string;
  status: string;
  filters: string;
  requested_by: string;
  requester_name: string | null;
  requester_email: string | null;
  created_at: number | string;
  started_at: number | string | null;
  ready_at: number | string | null;
  expires_at: number | string | null;
  row_count: number | string | null;
  truncated: number | string;
  storage_key: string | null;
  mailed_at: number | string | null;
  attempts: number | string;
  error: string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

function toRecord(row: ExportRow): ExportRecord {
  return {
    id: row.id,
    orgId: row.org_id,
    status: row.status as ExportStatus,
    spec: JSON.parse(row.filters) as ExportSpec,
    requestedBy: row.requested_by,
    requesterName: row.requester_name,
    requesterEmail: row.requester_email,
    createdAt: Number(row.created_at),
    startedAt: num(row.started_at),
    readyAt: num(row.ready_at),
    expiresAt: num(row.expires_at),
    rowCount: num(row.row_count),
    truncated: Number(row.truncated) === 1,
    storageKey: row.storage_key,
    mailedAt: num(row.mailed_at),
    attempts: Number(row.attempts),
    error: row.error,
  };
}

// Errors are kept for operators; a stack or a driver message can be long.
const MAX_ERROR_LENGTH = 2000;

/**
 * `auditkit_exports`, the source of truth of every export. Each state change is one conditional
 * UPDATE that says whether it won: the queue only schedules work, the rows decide who may do it.
 */
@Injectable()
export class ExportRepository {
  constructor(@Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource) {}

  /** How many exports are in each stored status (one query; for the metrics' scrape). */
  async countByStatus(): Promise<Partial<Record<string, number>>> {
    const rows: { status: string; n: string | number }[] = await this.dataSource.query(
      `SELECT status, COUNT(*) AS n FROM ${EXPORTS_TABLE} GROUP BY status`,
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async insert(record: ExportRecord, manager?: EntityManager): Promise<void> {
    const sql = `INSERT INTO ${EXPORTS_TABLE} (id, org_id, status, filters, requested_by, requester_name, requester_email, created_at, attempts, truncated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`;
    const params = [
      record.id,
      record.orgId,
      record.status,
      JSON.stringify(record.spec),
      record.requestedBy,
      record.requesterName,
      record.requesterEmail,
      record.createdAt,
    ];
    await (manager ?? this.dataSource).query(sql, params);
  }

  async find(id: string): Promise<ExportRecord | null> {
    const rows: ExportRow[] = await this.dataSource.query(
      `SELECT * FROM ${EXPORTS_TABLE} WHERE id = ?`,
      [id],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  async findInOrg(orgId: string, id: string): Promise<ExportRecord | null> {
    const rows: ExportRow[] = await this.dataSource.query(
      `SELECT * FROM ${EXPORTS_TABLE} WHERE id = ? AND org_id = ?`,
      [id, orgId],
    );
    return rows.length ? toRecord(rows[0]) : null;
  }

  /**
   * Claims an attempt: only the caller that saw `seenAttempts` wins, so two workers racing for
   * the same export get different attempt numbers and at most one claim per number.
   */
  claimAttempt(id: string, seenAttempts: number, now: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET status = 'running', started_at = ?, attempts = ?, error = NULL WHERE id = ? AND attempts = ? AND status IN ('queued', 'running')`,
      [now, seenAttempts + 1, id, seenAttempts],
    );
  }

  recordError(id: string, error: string): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET error = ? WHERE id = ? AND status = 'running'`,
      [error.slice(0, MAX_ERROR_LENGTH), id],
    );
  }

  /** running → ready; only the first finisher wins. */
  markReady(
    id: string,
    ready: {
      readyAt: number;
      expiresAt: number;
      rowCount: number;
      truncated: boolean;
      storageKey: string;
    },
  ): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET status = 'ready', ready_at = ?, expires_at = ?, row_count = ?, truncated = ?, storage_key = ?, error = NULL WHERE id = ? AND status = 'running'`,
      [
        ready.readyAt,
        ready.expiresAt,
        ready.rowCount,
        ready.truncated ? 1 : 0,
        ready.storageKey,
        id,
      ],
    );
  }

  /** queued/running → failed. */
  markFailed(id: string, error: string): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET status = 'failed', error = ? WHERE id = ? AND status IN ('queued', 'running')`,
      [error.slice(0, MAX_ERROR_LENGTH), id],
    );
  }

  /** Takes the right to send the export's one mail, if `expected` is still what the row holds. */
  claimMail(id: string, expected: number | null, claim: number): Promise<boolean> {
    return expected === null
      ? this.changed(
          `UPDATE ${EXPORTS_TABLE} SET mailed_at = ? WHERE id = ? AND mailed_at IS NULL`,
          [claim, id],
        )
      : this.changed(`UPDATE ${EXPORTS_TABLE} SET mailed_at = ? WHERE id = ? AND mailed_at = ?`, [
          claim,
          id,
          expected,
        ]);
  }

  /** Records that the mail went out, if our claim still stands. */
  confirmMail(id: string, claim: number, sentAt: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET mailed_at = ? WHERE id = ? AND mailed_at = ?`,
      [sentAt, id, claim],
    );
  }

  /** Gives a claim back after a send that certainly failed, so a retry can send. */
  releaseMail(id: string, claim: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET mailed_at = NULL WHERE id = ? AND mailed_at = ?`,
      [id, claim],
    );
  }

  /** Ready exports past their expiry, and expired ones whose file may still be stored. */
  async dueForCleanup(now: number, limit: number): Promise<ExportRecord[]> {
    const rows: ExportRow[] = await this.dataSource.query(
      `SELECT * FROM ${EXPORTS_TABLE} WHERE (status = 'ready' AND expires_at <= ?) OR (status IN ('expired', 'failed') AND storage_key IS NOT NULL) ORDER BY expires_at LIMIT ${Number(limit)}`,
      [now],
    );
    return rows.map(toRecord);
  }

  /** ready → expired. */
  markExpired(id: string, now: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET status = 'expired' WHERE id = ? AND status = 'ready' AND expires_at <= ?`,
      [id, now],
    );
  }

  /** Forgets the file of an expired or failed export once it is deleted. */
  clearStorageKey(id: string): Promise<boolean> {
    return this.changed(
      `UPDATE ${EXPORTS_TABLE} SET storage_key = NULL WHERE id = ? AND status IN ('expired', 'failed')`,
      [id],
    );
  }

  /**
   * Exports created before `before` that still need a worker: unfinished ones, and finished ones
   * whose mail was never sent or whose claim was never confirmed.
   */
  async needingWork(before: number, limit: number): Promise<ExportRecord[]> {
    const rows: ExportRow[] = await this.dataSource.query(
      `SELECT * FROM ${EXPORTS_TABLE} WHERE created_at < ? AND (status IN ('queued', 'running') OR (status IN ('ready', 'failed') AND (mailed_at IS NULL OR mailed_at < 0))) ORDER BY created_at LIMIT ${Number(limit)}`,
      [before],
    );
    return rows.map(toRecord);
  }

  /**
   * The org's chain at `seq`: that event's hash as stored in `auditkit_events`, or a null hash
   * when the event is not there (purged since, or written without tamper evidence).
   */
  async chainHead(orgId: string, seq: number): Promise<{ seq: number; hash: string | null }> {
    const rows: { hash: string | null }[] = await this.dataSource.query(
      `SELECT hash FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq = ?`,
      [orgId, seq],
    );
    return { seq, hash: rows[0]?.hash ?? null };
  }

  /** Runs a conditional statement and says whether it changed a row. */
  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return (await changedRows(this.dataSource, sql, params)) > 0;
  }
}
