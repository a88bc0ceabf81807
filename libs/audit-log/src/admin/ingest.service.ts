import { Injectable } from '@nestjs/common';
import { ulid } from '../common/ulid';
import { AuditEvent, AuditEventInput } from '../event/audit-event.interface';
import { AuditValidationError } from '../exceptions/audit-validation.exception';
import { AuditWriteError } from '../exceptions/audit-write.exception';
import { apiError, ApiErrorObject, ApiException, invalidField } from '../http/api-error';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../http/outage';
import { validateDto } from '../http/validate-dto';
import { AuditService } from '../recording/audit.service';
import { PreparedEvent } from '../store/event-row';
import { wasFoundStored } from '../store/event-store';
import { IdempotencyService } from './idempotency.service';
import { IngestEventDto } from './ingest-event.dto';
import { isPlainIngestEvent } from './ingest-event.check';
import { findTooDeep, MAX_BODY_DEPTH } from '../http/json-depth';

/** Most events in one bulk request (docs/api.md). */
export const BULK_MAX_EVENTS = 1000;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** A 400 naming the header when `key` is sent but is not 1 to 255 visible ASCII characters. */
export function checkIdempotencyKey(key: string | undefined): void {
  if (key === undefined || IDEMPOTENCY_KEY.test(key)) return;
  throw new ApiException(400, [
    {
      status: '400',
      code: 'invalid_header',
      title: 'Invalid header',
      detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters',
      source: { header: 'Idempotency-Key' },
    },
  ]);
}

/**
 * The answer to a write that did not store: `AuditWriteError` becomes a 503 with `Retry-After`
 * (the key, if any, is kept, so a retry stores the events or finds them stored); anything else
 * is rethrown for the exception filter.
 */
export function unavailableOnWriteError(err: unknown, what: string): never {
  if (err instanceof AuditWriteError)
    throw new ApiException(
      503,
      apiError(503, `${what} could not be stored; retry with the same Idempotency-Key`).errors,
      { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) },
    );
  throw err;
}

/**
 * One event of a POST body, checked and prepared for `orgId`: its shapes (the DTO), then the
 * limits, the catalog and redaction (the normalizer every path uses), then a category that
 * agrees with the action. Throws an `ApiException` (400, or 422 for an unknown action) whose
 * pointers start with `at`: '' for the body of POST events, `/events/3` for an item of a bulk.
 */
export function prepareIngestEvent(
  audit: AuditService,
  orgId: string,
  body: unknown,
  at = '',
): PreparedEvent {
  try {
    // The common, well-formed body skips class-validator (ingest-event.check.ts says why).
    if (!isPlainIngestEvent(body) || findTooDeep(body, MAX_BODY_DEPTH)) {
      validateDto(IngestEventDto, body, 'pointer');
    }
    const raw = body as Record<string, unknown>;
    let prepared;
    try {
      prepared = audit.prepare({ ...(raw as unknown as AuditEventInput), orgId });
    } catch (err) {
      if (err instanceof AuditValidationError) {
        const pointer = '/' + err.field.replace(/\[(\d+)\]/g, '.$1').replace(/\./g, '/');
        throw err.code === 'unknown_action'
          ? invalidField(pointer, err.detail, 422, 'unknown_action')
          : invalidField(pointer, err.detail);
      }
      throw err;
    }
    if (raw.category !== undefined && raw.category !== prepared.category) {
      throw invalidField(
        '/category',
        `must be "${prepared.category}" for action ${prepared.action} (or left out)`,
      );
    }
    return prepared;
  } catch (err) {
    if (!at || !(err instanceof ApiException)) throw err;
    throw new ApiException(
      err.getStatus(),
      err.errors.map((e) => under(at, e)),
    );
  }
}

/** An error about an item, moved under the item's pointer (`/events/3`). */
function under(at: string, e: ApiErrorObject): ApiErrorObject {
  if (e.source?.pointer !== undefined) return { ...e, source: { pointer: at + e.source.pointer } };
  // What a single POST calls the body is an item here: "the body must be a JSON object".
  const field = at.slice(1).replace(/\//g, '.');
  return {
    status: e.status,
    code: 'invalid_field',
    title: 'Invalid field',
    detail: `${field} must be a JSON object`,
    source: { pointer: at },
  };
}

/** One item of a bulk answer: stored (its id and seq) or rejected (why). */
export type BulkItemResult =
  { index: number; event: AuditEvent } | { index: number; errors: ApiErrorObject[] };

/** What a bulk request came to. */
export type BulkIngestResult =
  | {
      outcome: 'stored';
      items: BulkItemResult[];
      /** Every valid item was stored before this request (a replay). */
      replayed: boolean;
    }
  /** The Idempotency-Key was used with another body. */
  | { outcome: 'conflict' }
  /** No item is valid: nothing to store. */
  | { outcome: 'rejected'; items: { index: number; errors: ApiErrorObject[] }[] };

/**
 * Bulk ingest (POST events/bulk): checks every item as POST events checks its body, and stores
 * the valid ones in one transaction of their own, all or none.
 *
 * Ids are assigned once per request: one consecutive run of ULIDs, item i getting the i-th,
 * rejected items included, so that an item's id depends on its index only. With an
 * Idempotency-Key the key is claimed for the first id of the run, and a retry derives every
 * item's id from it: whatever an earlier attempt did (failed, lost its COMMIT's answer, is still
 * writing), the retry writes the same ids and the store's "may already be stored" lookup under
 * the org lock keeps any of them from being stored twice.
 */
@Injectable()
export class IngestService {
  constructor(
    private readonly audit: AuditService,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Checks `items` and stores the valid ones for `orgId`. Rejects with `AuditWriteError` when
   * they could not be stored (none is then), or the database's error when the key could not be
   * checked.
   */
  async recordBulk(
    orgId: string,
    items: unknown[],
    body: unknown,
    key: string | undefined,
  ): Promise<BulkIngestResult> {
    const valid: { index: number; event: PreparedEvent }[] = [];
    const rejected: { index: number; errors: ApiErrorObject[] }[] = [];
    items.forEach((item, index) => {
      try {
        valid.push({
          index,
          event: prepareIngestEvent(this.audit, orgId, item, `/events/${index}`),
        });
      } catch (err) {
        if (!(err instanceof ApiException)) throw err;
        rejected.push({ index, errors: err.errors });
      }
    });
    if (valid.length === 0) return { outcome: 'rejected', items: rejected };

    let first = reserveIds(items.length);
    let mayBeStored = false;
    if (key !== undefined) {
      const claim = await this.idempotency.claim(
        orgId,
        key,
        this.idempotency.bodyHash(body),
        first,
        Date.now(),
      );
      if (!claim.claimed) {
        if (!claim.sameBody) return { outcome: 'conflict' };
        first = claim.eventId;
        mayBeStored = true;
      }
    }
    const stored = await this.audit.recordAll(
      valid.map((v) => ({ ...v.event, id: idAt(first, v.index) })),
      { mayBeStored },
    );
    const results: BulkItemResult[] = [
      ...valid.map((v, i) => ({ index: v.index, event: stored[i] })),
      ...rejected,
    ].sort((a, b) => a.index - b.index);
    return { outcome: 'stored', items: results, replayed: stored.every(wasFoundStored) };
  }
}

const ULID_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The first of `n` consecutive ULIDs taken from the process's generator, so that no other event
 * of this process can get one of them: called with one time, the generator increments its
 * random part. In the rare case the run wraps that part (it then moves the time on), it is taken
 * again.
 */
function reserveIds(n: number): string {
  for (;;) {
    const now = Date.now();
    const first = ulid(now);
    let last = first;
    for (let i = 1; i < n; i++) last = ulid(now);
    if (idAt(first, n - 1) === last) return first;
  }
}

/** The ULID `offset` after `first` in its random part (no wrap: see `reserveIds`). */
function idAt(first: string, offset: number): string {
  const digits = first.split('');
  let carry = offset;
  for (let i = digits.length - 1; i >= 10 && carry > 0; i--) {
    const sum = ULID_ALPHABET.indexOf(digits[i]) + carry;
    digits[i] = ULID_ALPHABET[sum % 32];
    carry = Math.floor(sum / 32);
  }
  return digits.join('');
}
