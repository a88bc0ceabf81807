import { createHash } from 'node:crypto';
import type {
  DeliveredEvent,
  DeliveryBatch,
} from '../../libs/audit-log/src/destinations/transports/transport';

const T0 = Date.UTC(2026, 11, 1, 12);

/** The chain hash a test batch claims for `seq` (any stable hex will do for a transport). */
export const hashOf = (orgId: string, seq: number) =>
  createHash('sha256').update(`${orgId}:${seq}`).digest('hex');

/**
 * An event as GET events-stream renders it (admin/events-stream-resource.ts), for transport
 * tests that need no database: `seq` in the attributes, `time` one second per seq.
 */
export function streamEvent(
  orgId: string,
  seq: number,
  attributes: Record<string, unknown> = {},
): DeliveredEvent {
  const time = new Date(T0 + seq * 1000).toISOString();
  return {
    id: `ev-${orgId}-${seq}`,
    type: 'events',
    attributes: {
      time,
      processedAt: time,
      seq,
      action: 'group_created',
      category: 'group_management',
      actor: { id: 'u-1', type: 'user', attributes: { name: 'Jane Doe' } },
      context: [{ id: `g-${seq}`, type: 'group', attributes: { name: `Group ${seq}` }, links: {} }],
      container: [],
      product: 'AuditKit',
      location: {},
      outcome: 'success',
      metadata: {},
      ...attributes,
    },
    message: { content: `Jane Doe created group Group ${seq}`, format: 'simple' },
    links: { self: `http://localhost/admin/v1/orgs/${orgId}/events/ev-${orgId}-${seq}` },
  };
}

/** The batch of `orgId`'s events `first`..`last` for destination `destinationId`. */
export function batchOf(
  orgId: string,
  first: number,
  last: number,
  destinationId = 'dest-1',
  attributes: (seq: number) => Record<string, unknown> = () => ({}),
): DeliveryBatch {
  const events: DeliveredEvent[] = [];
  for (let seq = first; seq <= last; seq++) events.push(streamEvent(orgId, seq, attributes(seq)));
  return {
    orgId,
    destinationId,
    firstSeq: first,
    lastSeq: last,
    lastHash: hashOf(orgId, last),
    events,
  };
}

/** Batches of `size` covering `orgId`'s seqs `1..count`. */
export function batchesOf(orgId: string, count: number, size: number, destinationId?: string) {
  const batches: DeliveryBatch[] = [];
  for (let first = 1; first <= count; first += size)
    batches.push(batchOf(orgId, first, Math.min(first + size - 1, count), destinationId));
  return batches;
}

/** `from..to` inclusive. */
export const seqRange = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
