import { Logger } from '@nestjs/common';
import { AuditEvent } from '../event/audit-event.interface';
import { AuditWriteError } from '../exceptions/audit-write.exception';
import { PreparedEvent } from '../store/event-row';
import { asFoundStored, EventStore, mayHaveCommitted, wasFoundStored } from '../store/event-store';
import { AuditMetricsSink, NOOP_METRICS_SINK } from '../metrics/audit-metrics-sink';
import {
  bufferFullMessage,
  droppedOnShutdownMessage,
  writeFailedMessage,
  writeFailingAtShutdownMessage,
  writeRecoveredMessage,
} from '../audit-log.messages';

/** What happens to a request whose event cannot be stored. */
export type AuditFailurePolicy = 'fail-closed' | 'fail-open';

export interface AuditWriterOptions {
  policy: AuditFailurePolicy;
  maxBatchSize: number;
  maxBufferSize: number;
  /** Most batches being written at once. */
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  shutdownTimeoutMs: number;
}

/** Options of one `enqueue()` call. */
export interface EnqueueOptions {
  /**
   * An earlier attempt (maybe in another process) may have stored this event, with this id,
   * already: its batch looks the id up under the org lock and resolves with the stored event
   * (`wasFoundStored` tells) instead of writing a second one.
   * @default false
   */
  mayBeStored?: boolean;
}

interface Pending {
  event: PreparedEvent;
  /** What the first caller of this id was handed. */
  promise: Promise<AuditEvent>;
  resolve(event: AuditEvent): void;
  reject(err: Error): void;
  settled: boolean;
  /** A caller said an earlier attempt may have stored it. */
  mayBeStored: boolean;
  /** Arrival order, to put a failed batch back where it was. */
  order: number;
  /** A write holding this event was sent; it may have committed without our hearing of it. */
  attempted: boolean;
  /** A write holding this event lost its connection after COMMIT was sent. */
  uncertain: boolean;
}

/** Writes failing since `since`, until one succeeds: counted, to be logged once at the end. */
interface Outage {
  since: number;
  failedBatches: number;
  /** Events refused meanwhile: failed under fail-closed, or turned away by a full buffer. */
  refused: number;
  /** The first refusal by a full buffer was logged. */
  bufferFullLogged: boolean;
}

/**
 * Group commit. Events that arrive while batches are being written wait in a queue and go into a
 * later batch together (one transaction, multi-row INSERTs); each caller's promise settles when
 * the commit holding its event does.
 *
 * Up to `concurrency` batches are in flight at once. The store serializes them on the org rows,
 * so seqs stay gap-free in commit order; what overlaps is the Node side of one batch (building
 * rows, waking its callers) with the database side of the other. Waiting events are shared out
 * between the free slots, so a closed loop of callers settles into that many alternating groups.
 *
 * Under `fail-open`, a failed batch goes back to the queue and is retried with exponential
 * backoff; its callers are told at once (`AuditWriteError` with `buffered`).
 *
 * An outage is logged twice, however many batches fail: the first failure with its cause, and
 * the first write that succeeds after it, with how many batches failed and events were refused
 * meanwhile (fail-open's retries are logged at debug level).
 *
 * An id is written once however many callers ask: enqueuing an id already waiting or in flight
 * joins that write (the joiner's event is `wasFoundStored`), so concurrent retries of one
 * request share it.
 */
export class AuditWriter {
  private readonly logger = new Logger('AuditLog');
  /** Events waiting for a batch, in arrival order. */
  private queue: Pending[] = [];
  /** Events whose batch is being written. */
  private readonly inFlight = new Set<Pending>();
  /** Every event in the queue or in flight, by id. */
  private readonly byId = new Map<string, Pending>();
  private batches = 0;
  private arrivals = 0;
  private scheduled = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private outage: Outage | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly options: AuditWriterOptions,
    private readonly metrics: AuditMetricsSink = NOOP_METRICS_SINK,
  ) {
    metrics.watchWriter({ pending: () => this.pending, capacity: () => this.capacity });
  }

  /** Events accepted but not yet committed. */
  get pending(): number {
    return this.queue.length + this.inFlight.size;
  }

  /** Most events accepted but not yet committed before more are refused. */
  get capacity(): number {
    return this.options.maxBufferSize;
  }

  /** Queues `event` for the next batch; resolves with it as stored once that has committed. */
  enqueue(event: PreparedEvent, options: EnqueueOptions = {}): Promise<AuditEvent> {
    const same = this.byId.get(event.id);
    if (same) {
      same.mayBeStored ||= options.mayBeStored ?? false;
      // Fail-open already told the first caller it is buffered (and keeps it): so is this one.
      if (same.settled) return Promise.reject(bufferedError(undefined));
      return same.promise.then(asFoundStored);
    }
    if (this.closed)
      return Promise.reject(new AuditWriteError('The audit log writer is shut down'));
    if (this.pending >= this.options.maxBufferSize) {
      const message = bufferFullMessage(this.options.maxBufferSize, this.pending);
      if (!this.outage) {
        this.logger.error(message);
      } else {
        this.outage.refused += 1;
        if (!this.outage.bufferFullLogged) {
          this.outage.bufferFullLogged = true;
          this.logger.error(bufferFullMessage(this.options.maxBufferSize, this.pending, true));
        }
      }
      this.metrics.eventsRefused('buffer_full', 1);
      return Promise.reject(new AuditWriteError(message));
    }
    let resolve!: (event: AuditEvent) => void;
    let reject!: (err: Error) => void;
    const promise = new Promise<AuditEvent>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const pending: Pending = {
      event,
      promise,
      resolve,
      reject,
      settled: false,
      mayBeStored: options.mayBeStored ?? false,
      order: this.arrivals++,
      attempted: false,
      uncertain: false,
    };
    this.queue.push(pending);
    this.byId.set(event.id, pending);
    // While the database is known to be failing, a fail-open caller is not kept waiting for
    // the next retry: it learns at once that its event is buffered.
    if (this.retryTimer) settle(pending, () => reject(bufferedError(undefined)));
    this.kick();
    return promise;
  }

  /**
   * Writes `events` in one transaction of their own, outside the queue: all of them are stored
   * or none. A failure rejects with `AuditWriteError` under either policy: the events are not
   * kept for a retry, their caller is told and retries (a bulk request answered 503).
   */
  async writeAll(events: PreparedEvent[], options: EnqueueOptions = {}): Promise<AuditEvent[]> {
    if (this.closed) throw new AuditWriteError('The audit log writer is shut down');
    const started = performance.now();
    try {
      const stored = await this.store.write(events, { mayBeStored: options.mayBeStored });
      this.reportCommitted(stored, (performance.now() - started) / 1000);
      this.recovered();
      return stored;
    } catch (err) {
      this.metrics.batchFailed(err);
      if (this.failed(events.length)) {
        this.logger.error(writeFailedMessage(events.length, err, 'fail-closed'));
      }
      this.metrics.eventsRefused('write_failed', events.length);
      throw new AuditWriteError('The activities could not be recorded in the audit log', {
        cause: err,
      });
    }
  }

  private kick(): void {
    if (this.scheduled || this.retryTimer) return;
    this.scheduled = true;
    // One macrotask of delay lets every caller of the current tick join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** Starts batches while there are free slots and waiting events. */
  private pump(): void {
    while (!this.retryTimer && this.batches < this.options.concurrency && this.queue.length > 0) {
      const free = this.options.concurrency - this.batches;
      const size = Math.min(this.options.maxBatchSize, Math.ceil(this.queue.length / free));
      const batch = this.queue.splice(0, size);
      for (const p of batch) this.inFlight.add(p);
      this.batches += 1;
      void this.write(batch);
    }
    if (this.batches === 0 && this.queue.length === 0) this.notifyIdle();
  }

  private async write(batch: Pending[]): Promise<void> {
    // After a failure, the earlier attempt may have committed without our hearing of it.
    const mayBeStored = batch.some((p) => p.attempted || p.mayBeStored);
    for (const p of batch) p.attempted = true;
    const started = performance.now();
    try {
      const stored = await this.store.write(
        batch.map((p) => p.event),
        { mayBeStored },
      );
      this.reportCommitted(stored, (performance.now() - started) / 1000);
      this.failures = 0;
      this.recovered();
      batch.forEach((p, i) => {
        this.inFlight.delete(p);
        this.byId.delete(p.event.id);
        settle(p, () => p.resolve(stored[i]));
      });
    } catch (err) {
      const uncertain = mayHaveCommitted(err);
      this.metrics.batchFailed(err);
      for (const p of batch) {
        this.inFlight.delete(p);
        p.uncertain ||= uncertain;
      }
      if (this.options.policy === 'fail-closed') {
        if (this.failed(batch.length)) {
          this.logger.error(writeFailedMessage(batch.length, err, 'fail-closed'));
        }
        const error = new AuditWriteError('The activity could not be recorded in the audit log', {
          cause: err,
        });
        for (const p of batch) this.byId.delete(p.event.id);
        batch.forEach((p) => settle(p, () => p.reject(error)));
        this.metrics.eventsRefused('write_failed', batch.length);
      } else {
        this.requeue(batch, err);
      }
    } finally {
      this.batches -= 1;
    }
    this.pump();
  }

  private reportCommitted(stored: AuditEvent[], seconds: number): void {
    const counts = { success: 0, failure: 0 };
    // Events found stored were committed by an earlier attempt, and counted there (unless its
    // COMMIT's answer was lost: then by nobody, which undercounts rather than double-counts).
    for (const e of stored) if (!wasFoundStored(e)) counts[e.outcome] += 1;
    this.metrics.batchCommitted(stored.length, seconds, counts);
  }

  /** fail-open: the batch goes back to its place in the queue and a retry is scheduled. */
  private requeue(batch: Pending[], err: unknown): void {
    this.queue = [...batch, ...this.queue].sort((a, b) => a.order - b.order);
    this.failures += 1;
    const delay = Math.min(
      this.options.retryMaxMs,
      this.options.retryBaseMs * 2 ** (this.failures - 1),
    );
    const message = writeFailedMessage(this.pending, err, 'fail-open', delay);
    if (this.failed(0)) this.logger.error(message);
    else this.logger.debug(message);
    const error = bufferedError(err);
    for (const p of this.queue) settle(p, () => p.reject(error));
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, delay);
    this.retryTimer.unref();
  }

  /** Counts a failed batch; true when it is the first of an outage, to be logged. */
  private failed(refused: number): boolean {
    const first = !this.outage;
    this.outage ??= { since: Date.now(), failedBatches: 0, refused: 0, bufferFullLogged: false };
    this.outage.failedBatches += 1;
    this.outage.refused += refused;
    return first;
  }

  /** A batch was stored: the end of the outage under way, if any. */
  private recovered(): void {
    if (!this.outage) return;
    const { failedBatches, refused } = this.outage;
    this.logger.log(
      writeRecoveredMessage(this.options.policy, failedBatches, refused, this.outageSeconds()),
    );
    this.outage = null;
  }

  private outageSeconds(): number {
    return this.outage ? Math.max(1, Math.round((Date.now() - this.outage.since) / 1000)) : 0;
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Resolves when everything queued so far has been written (or given up on). */
  flush(): Promise<void> {
    if (this.batches === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking events and writes what is queued. Under fail-open, retries go on until the
   * queue is empty or `shutdownTimeoutMs` passes; whatever is left then is reported loudly.
   */
  async close(): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    while (this.pending > 0 && Date.now() < deadline) {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      this.kick();
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 100))]);
      if (this.queue.length > 0 && this.batches === 0) await new Promise((r) => setTimeout(r, 100));
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.outage) {
      const { failedBatches, refused } = this.outage;
      this.logger.warn(writeFailingAtShutdownMessage(failedBatches, refused, this.outageSeconds()));
      this.outage = null;
    }
    const left = [...this.inFlight, ...this.queue];
    if (left.length > 0) {
      // A batch still in flight, or one whose COMMIT went unanswered, may be stored after all.
      const unknown = left
        .filter((p) => p.uncertain || this.inFlight.has(p))
        .map((p) => p.event.id);
      this.logger.error(droppedOnShutdownMessage(left.length, unknown));
      const error = new AuditWriteError(
        'The audit log shut down before the activity could be stored',
      );
      for (const p of left) this.byId.delete(p.event.id);
      left.forEach((p) => settle(p, () => p.reject(error)));
      this.queue = [];
      this.metrics.eventsRefused('shutdown', left.length);
    }
  }
}

function settle(p: Pending, fn: () => void): void {
  if (p.settled) return;
  p.settled = true;
  fn();
}

function bufferedError(cause: unknown): AuditWriteError {
  return new AuditWriteError('The activity is buffered and will be retried', {
    cause,
    buffered: true,
  });
}
