import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { changedRows } from '../store/changed-rows';
import { DESTINATIONS_TABLE, EVENTS_TABLE, ORG_STATE_TABLE } from '../store/store.constants';

/** `active` destinations are delivered to; `paused` ones wait for an admin. */
export type DestinationState = 'active' | 'paused';
/** Why a destination is paused: an admin did it, or deliveries kept failing. */
export type PausedReason = 'admin' | 'failures';

/** A destination as stored, its secrets still sealed. */
export interface StoredDestination {
  id: string;
  orgId: string;
  type: string;
  name: string | null;
  config: Record<string, unknown>;
  sealedSecret: string | null;
  state: DestinationState;
  pausedReason: PausedReason | null;
  /** The last seq the receiver took (the cursor): the next batch starts after it. */
  deliveredSeq: number;
  deliveredHash: string | null;
  failures: number;
  firstFailureAt: number | null;
  nextAttemptAt: number;
  lastError: string | null;
  lastErrorAt: number | null;
  lastDeliveredAt: number | null;
  leaseOwner: string | null;
  leaseUntil: number;
  createdAt: number;
  updatedAt: number;
}

type Row = Record<string, string | number | null>;

const num = (v: unknown) => Number(v);
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

function fromRow(r: Row): StoredDestination {
  return {
    id: String(r.id),
    orgId: String(r.org_id),
    type: String(r.type),
    name: r.name === null ? null : String(r.name),
    config: JSON.parse(String(r.config)) as Record<string, unknown>,
    sealedSecret: r.secret === null ? null : String(r.secret),
    state: r.state as DestinationState,
    pausedReason: (r.paused_reason as PausedReason | null) ?? null,
    deliveredSeq: num(r.delivered_seq),
    deliveredHash: r.delivered_hash === null ? null : String(r.delivered_hash),
    failures: num(r.failures),
    firstFailureAt: numOrNull(r.first_failure_at),
    nextAttemptAt: num(r.next_attempt_at),
    lastError: r.last_error === null ? null : String(r.last_error),
    lastErrorAt: numOrNull(r.last_error_at),
    lastDeliveredAt: numOrNull(r.last_delivered_at),
    leaseOwner: r.lease_owner === null ? null : String(r.lease_owner),
    leaseUntil: num(r.lease_until),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

/** A failed delivery as the dispatcher writes it down. */
export interface DeliveryFailure {
  failures: number;
  firstFailureAt: number;
  nextAttemptAt: number;
  error: string;
  /** Paused because of it. */
  pause: boolean;
}

/** How far behind a destination is: events after its cursor and how old the first is. */
export interface DestinationLag {
  headSeq: number;
  events: number;
  /** Since the oldest undelivered event was recorded, in ms (0 when none). */
  ms: number;
}

/**
 * The `auditkit_destinations` table. Every change the dispatcher makes is a conditional UPDATE
 * (compare and set) on the lease, so that it works alike on SQLite and MariaDB: an instance
 * takes a destination only when no other holds an unexpired lease, and moves its cursor only
 * while it still holds one (fencing), from the seq it read (so a cursor never moves twice).
 */
@Injectable()
export class DestinationRepository {
  constructor(@Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource) {}

  async insert(d: StoredDestination): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${DESTINATIONS_TABLE} (id, org_id, type, name, config, secret, state, paused_reason, delivered_seq, delivered_hash, failures, first_failure_at, next_attempt_at, last_error, last_error_at, last_delivered_at, lease_owner, lease_until, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        d.id,
        d.orgId,
        d.type,
        d.name,
        JSON.stringify(d.config),
        d.sealedSecret,
        d.state,
        d.pausedReason,
        d.deliveredSeq,
        d.deliveredHash,
        d.failures,
        d.firstFailureAt,
        d.nextAttemptAt,
        d.lastError,
        d.lastErrorAt,
        d.lastDeliveredAt,
        d.leaseOwner,
        d.leaseUntil,
        d.createdAt,
        d.updatedAt,
      ],
    );
  }

  async list(orgId: string): Promise<StoredDestination[]> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM ${DESTINATIONS_TABLE} WHERE org_id = ? ORDER BY created_at, id`,
      [orgId],
    );
    return rows.map(fromRow);
  }

  /** One destination of an org (undefined for an id of another org). */
  async get(orgId: string, id: string): Promise<StoredDestination | undefined> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM ${DESTINATIONS_TABLE} WHERE org_id = ? AND id = ?`,
      [orgId, id],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  async byId(id: string): Promise<StoredDestination | undefined> {
    const rows: Row[] = await this.dataSource.query(
      `SELECT * FROM ${DESTINATIONS_TABLE} WHERE id = ?`,
      [id],
    );
    return rows[0] ? fromRow(rows[0]) : undefined;
  }

  /** New settings; the cursor and delivery state stay. */
  updateSettings(
    orgId: string,
    id: string,
    s: { name: string | null; config: Record<string, unknown>; sealedSecret: string | null },
    now: number,
  ): Promise<boolean> {
    return this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET name = ?, config = ?, secret = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
      [s.name, JSON.stringify(s.config), s.sealedSecret, now, orgId, id],
    );
  }

  remove(orgId: string, id: string): Promise<boolean> {
    return this.changed(`DELETE FROM ${DESTINATIONS_TABLE} WHERE org_id = ? AND id = ?`, [
      orgId,
      id,
    ]);
  }

  /** Pauses at an admin's word; an instance delivering finishes its batch and stops. */
  pause(orgId: string, id: string, now: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET state = 'paused', paused_reason = 'admin', updated_at = ? WHERE org_id = ? AND id = ?`,
      [now, orgId, id],
    );
  }

  /** Active again, due at once, its failure count cleared; the last error stays on show. */
  resume(orgId: string, id: string, now: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET state = 'active', paused_reason = NULL, failures = 0, first_failure_at = NULL, next_attempt_at = 0, updated_at = ? WHERE org_id = ? AND id = ?`,
      [now, orgId, id],
    );
  }

  /** Ids of active destinations due now that no other instance holds. */
  async due(now: number, owner: string, limit: number): Promise<string[]> {
    const rows: { id: string }[] = await this.dataSource.query(
      `SELECT id FROM ${DESTINATIONS_TABLE} WHERE state = 'active' AND next_attempt_at <= ? AND (lease_owner IS NULL OR lease_until < ? OR lease_owner = ?) ORDER BY next_attempt_at, id LIMIT ${Number(limit)}`,
      [now, now, owner],
    );
    return rows.map((r) => String(r.id));
  }

  /** Takes the lease of a due destination unless another instance holds one. */
  acquire(id: string, owner: string, now: number, until: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET lease_owner = ?, lease_until = ? WHERE id = ? AND state = 'active' AND next_attempt_at <= ? AND (lease_owner IS NULL OR lease_until < ? OR lease_owner = ?)`,
      [owner, until, id, now, now, owner],
    );
  }

  /** Extends a lease still held (and unexpired); false once it is lost or the destination paused. */
  renew(id: string, owner: string, now: number, until: number): Promise<boolean> {
    return this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET lease_until = ? WHERE id = ? AND lease_owner = ? AND lease_until >= ? AND state = 'active'`,
      [until, id, owner, now],
    );
  }

  /**
   * Moves the cursor from `fromSeq` to `toSeq` after a delivery, if this instance still holds
   * the lease and nobody moved the cursor meanwhile. Whether the destination was paused during
   * the delivery does not matter: the receiver has the batch.
   */
  advance(
    id: string,
    owner: string,
    fromSeq: number,
    toSeq: number,
    hash: string | null,
    now: number,
    until: number,
  ): Promise<boolean> {
    return this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET delivered_seq = ?, delivered_hash = ?, failures = 0, first_failure_at = NULL, last_delivered_at = ?, lease_until = ? WHERE id = ? AND lease_owner = ? AND lease_until >= ? AND delivered_seq = ?`,
      [toSeq, hash, now, until, id, owner, now, fromSeq],
    );
  }

  /** Writes down a failed delivery and lets go of the lease, so any instance retries when due. */
  fail(id: string, owner: string, f: DeliveryFailure, now: number): Promise<boolean> {
    const pause = f.pause ? `, state = 'paused', paused_reason = 'failures'` : '';
    return this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET failures = ?, first_failure_at = ?, next_attempt_at = ?, last_error = ?, last_error_at = ?, lease_owner = NULL, lease_until = 0${pause} WHERE id = ? AND lease_owner = ?`,
      [f.failures, f.firstFailureAt, f.nextAttemptAt, f.error.slice(0, 1024), now, id, owner],
    );
  }

  /** Lets go of a lease (shutdown, paused, deleted). */
  async release(id: string, owner: string): Promise<void> {
    await this.changed(
      `UPDATE ${DESTINATIONS_TABLE} SET lease_owner = NULL, lease_until = 0 WHERE id = ? AND lease_owner = ?`,
      [id, owner],
    );
  }

  /** The first seq stored for an org, minus one: where a destination that starts at the beginning starts. */
  async startOf(orgId: string, from: 'beginning' | 'now'): Promise<number> {
    if (from === 'now') {
      const rows: { last_seq: string | number }[] = await this.dataSource.query(
        `SELECT last_seq FROM ${ORG_STATE_TABLE} WHERE org_id = ?`,
        [orgId],
      );
      return rows[0] ? Number(rows[0].last_seq) : 0;
    }
    const rows: { seq: string | number | null }[] = await this.dataSource.query(
      `SELECT MIN(seq) AS seq FROM ${EVENTS_TABLE} WHERE org_id = ?`,
      [orgId],
    );
    const first = rows[0]?.seq;
    return first === null || first === undefined ? 0 : Number(first) - 1;
  }

  /** How far behind `deliveredSeq` is in the org's sequence, at `now`. */
  async lag(orgId: string, deliveredSeq: number, now: number): Promise<DestinationLag> {
    const head: { last_seq: string | number }[] = await this.dataSource.query(
      `SELECT last_seq FROM ${ORG_STATE_TABLE} WHERE org_id = ?`,
      [orgId],
    );
    const headSeq = head[0] ? Number(head[0].last_seq) : 0;
    if (headSeq <= deliveredSeq) return { headSeq, events: 0, ms: 0 };
    const next: { recorded_at: string | number }[] = await this.dataSource.query(
      `SELECT recorded_at FROM ${EVENTS_TABLE} WHERE org_id = ? AND seq > ? ORDER BY seq LIMIT 1`,
      [orgId, deliveredSeq],
    );
    const oldest = next[0] ? Number(next[0].recorded_at) : now;
    return { headSeq, events: headSeq - deliveredSeq, ms: Math.max(0, now - oldest) };
  }

  private async changed(sql: string, params: unknown[]): Promise<boolean> {
    return (await changedRows(this.dataSource, sql, params)) > 0;
  }
}
