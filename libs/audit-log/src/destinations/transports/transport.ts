/**
 * One batch for one destination: consecutive events of one org, in `seq` order, with no gap.
 * A receiver checks continuity from `firstSeq`/`lastSeq` (the next batch starts at
 * `lastSeq + 1`) and `lastHash`, the chain hash of the last event (docs/integrity.md).
 */
export interface DeliveryBatch {
  readonly orgId: string;
  readonly destinationId: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  /** The stored chain hash of the event at `lastSeq` (hex); null only for format-0 events. */
  readonly lastHash: string | null;
  /** The events as GET events-stream renders them (the Atlassian resource with `processedAt`). */
  readonly events: readonly DeliveredEvent[];
  /**
   * A test sent from the API (`POST .../destinations/{id}/test`): no events (`firstSeq` is the
   * next seq to deliver, `lastSeq` the one before it) and no cursor moves. A transport that has
   * nothing to send for an empty batch checks that it can reach the receiver.
   */
  readonly test?: boolean;
}

/** An event as the stream renders it; `attributes.seq` is its place in the org's sequence. */
export type DeliveredEvent = Readonly<Record<string, unknown>>;

/**
 * How events leave AuditKit for one kind of receiver. `deliver` resolves only once the receiver
 * has taken the whole batch (an HTTP 2xx, a cleanly closed syslog stream, an fsync'd file), so
 * the dispatcher can move the destination's cursor past it. It rejects with a
 * {@link DeliveryError} otherwise, and the same batch is offered again: delivery is at least
 * once, in order.
 */
export interface DestinationTransport {
  deliver(batch: DeliveryBatch, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** A batch the receiver did not take. `permanent` ones (a 4xx but 408/429) pause sooner. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly permanent = false,
    /** The receiver's own wait (HTTP Retry-After), when it gave one. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}
