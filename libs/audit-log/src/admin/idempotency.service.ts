import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { AuditEvent } from '../event/audit-event.interface';
import { EventQueryService } from '../query/event-query.service';
import { AuditService } from '../recording/audit.service';
import { PreparedEvent } from '../store/event-row';
import { wasFoundStored } from '../store/event-store';
import { IDEMPOTENCY_TABLE } from '../store/store.constants';

/** A canonical JSON text (sorted keys), so equal bodies hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value as object).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export type ClaimResult =
  { claimed: true } | { claimed: false; sameBody: boolean; eventId: string };

/** What a POST events with an Idempotency-Key came to. */
export type KeyedRecordResult =
  | {
      outcome: 'stored';
      event: AuditEvent;
      /** Stored before this request: by an earlier attempt, or one running alongside. */
      replayed: boolean;
    }
  /** The key was used with another body. */
  | { outcome: 'conflict' };

/**
 * Idempotency keys of POST events. The first request with a key claims it for its event id, and
 * the claim is kept whatever happens next: the event is always written under that id, so an
 * attempt can always tell whether it is stored. A retry whose event is not stored (the first
 * attempt failed, its process died, or it is still writing) writes it again under the same id,
 * and the store makes sure only one of those writes stores it. No attempt waits on another, and
 * no key is left "in progress" by a write that did not commit.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly query: EventQueryService,
  ) {}

  bodyHash(body: unknown): string {
    return createHash('sha256').update(canonicalJson(body)).digest('hex');
  }

  /**
   * Stores `event` (prepared from `body`) once per org and key: the stored event on the first
   * request and on every retry with the same body, a conflict for another body. Rejects with
   * `AuditWriteError` when the event could not be stored (a retry may succeed), or the database's
   * error when the key could not be checked.
   */
  async record(
    orgId: string,
    key: string,
    body: unknown,
    event: PreparedEvent,
  ): Promise<KeyedRecordResult> {
    const claim = await this.claim(orgId, key, this.bodyHash(body), event.id, Date.now());
    if (claim.claimed) return this.store(event, false);
    if (!claim.sameBody) return { outcome: 'conflict' };
    const stored = await this.query.get(orgId, claim.eventId);
    if (stored) return { outcome: 'stored', event: stored, replayed: true };
    return this.store({ ...event, id: claim.eventId }, true);
  }

  async claim(
    orgId: string,
    key: string,
    bodyHash: string,
    eventId: string,
    now: number,
  ): Promise<ClaimResult> {
    try {
      await this.dataSource.query(
        `INSERT INTO ${IDEMPOTENCY_TABLE} (org_id, idem_key, body_hash, event_id, created_at) VALUES (?, ?, ?, ?, ?)`,
        [orgId, key, bodyHash, eventId, now],
      );
      return { claimed: true };
    } catch (err) {
      if (!isDuplicate(err)) throw err;
    }
    const rows: { body_hash: string; event_id: string }[] = await this.dataSource.query(
      `SELECT body_hash, event_id FROM ${IDEMPOTENCY_TABLE} WHERE org_id = ? AND idem_key = ?`,
      [orgId, key],
    );
    if (!rows.length) return this.claim(orgId, key, bodyHash, eventId, now);
    return { claimed: false, sameBody: rows[0].body_hash === bodyHash, eventId: rows[0].event_id };
  }

  private async store(event: PreparedEvent, mayBeStored: boolean): Promise<KeyedRecordResult> {
    const stored = await this.audit.recordPrepared(event, { mayBeStored });
    return { outcome: 'stored', event: stored, replayed: wasFoundStored(stored) };
  }
}

function isDuplicate(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? '';
  return code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT');
}
