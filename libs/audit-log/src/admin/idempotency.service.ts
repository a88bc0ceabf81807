import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
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

/** Idempotency keys of POST events: the first request with a key claims it for its event id. */
@Injectable()
export class IdempotencyService {
  constructor(@Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource) {}

  bodyHash(body: unknown): string {
    return createHash('sha256').update(canonicalJson(body)).digest('hex');
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

  /** Frees a key whose event could not be stored, so a retry can use it. */
  async release(orgId: string, key: string, eventId: string): Promise<void> {
    await this.dataSource.query(
      `DELETE FROM ${IDEMPOTENCY_TABLE} WHERE org_id = ? AND idem_key = ? AND event_id = ?`,
      [orgId, key, eventId],
    );
  }
}

function isDuplicate(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code ?? '';
  return code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT');
}
