import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { EventFilters } from './event-filters';

/** A position in the newest-first order: the last row of the previous page. */
export interface CursorPosition {
  time: number;
  id: string;
}

/** Why a cursor was refused. */
export class InvalidCursorError extends Error {}

/** A short digest of the filters a cursor belongs to. */
export function filtersKey(orgId: string, f: EventFilters): string {
  const canonical = JSON.stringify([
    orgId,
    f.q ?? null,
    f.from ?? null,
    f.to ?? null,
    f.actions ? [...f.actions].sort() : null,
    f.category ?? null,
    f.actor ?? null,
    f.ip ?? null,
    f.product ?? null,
  ]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/**
 * Opaque keyset cursors, HMAC-signed and bound to the org and filters they were made for: a
 * cursor of another org or query, or a forged one, is refused.
 */
export class CursorCodec {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = createHmac('sha256', secret).update('auditkit:cursor:v1').digest();
  }

  encode(orgId: string, filters: EventFilters, pos: CursorPosition): string {
    const body = Buffer.from(
      JSON.stringify([filtersKey(orgId, filters), pos.time, pos.id]),
    ).toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  decode(cursor: string, orgId: string, filters: EventFilters): CursorPosition {
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
    if (!Array.isArray(parsed) || parsed.length !== 3)
      throw new InvalidCursorError('is not a cursor of this API');
    const [key, time, id] = parsed;
    if (key !== filtersKey(orgId, filters)) {
      throw new InvalidCursorError(
        'belongs to another organization or another query; start again without it',
      );
    }
    if (!Number.isSafeInteger(time) || typeof id !== 'string')
      throw new InvalidCursorError('is not a cursor of this API');
    return { time, id };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}
