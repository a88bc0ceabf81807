import { Logger } from '@nestjs/common';
import { AuditEvent } from '../event/audit-event.interface';
import { AuditWriteError } from '../exceptions/audit-write.exception';
import { PreparedEvent } from '../store/event-row';
import { EventStore } from '../store/event-store';
import {
  bufferFullMessage,
  droppedOnShutdownMessage,
  writeFailedMessage,
} from '../audit-log.messages';

/** What happens to a request whose event cannot be stored. */
export type AuditFailurePolicy = 'fail-closed' | 'fail-open';

export interface AuditWriterOptions {
  policy: AuditFailurePolicy;
  maxBatchSize: number;
  maxBufferSize: number;
  retryBaseMs: number;
  retryMaxMs: number;
  shutdownTimeoutMs: number;
}

interface Pending {
  event: PreparedEvent;
  resolve(event: AuditEvent): void;
  reject(err: Error): void;
  settled: boolean;
}

/**
 * Group commit. Events that arrive while a batch is being written wait in a queue and go into the
 * next batch together (one transaction, multi-row INSERTs); each caller's promise settles when the
 * commit holding its event does. Under `fail-open`, a failed batch stays queued and is retried
 * with exponential backoff; its callers are told at once (`AuditWriteError` with `buffered`).
 */
export class AuditWriter {
  private readonly logger = new Logger('AuditLog');
  private queue: Pending[] = [];
  private writing = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly store: EventStore,
    private readonly options: AuditWriterOptions,
  ) {}

  /** Events accepted but not yet committed. */
  get pending(): number {
    return this.queue.length;
  }

  enqueue(event: PreparedEvent): Promise<AuditEvent> {
    if (this.closed)
      return Promise.reject(new AuditWriteError('The audit log writer is shut down'));
    if (this.queue.length >= this.options.maxBufferSize) {
      const message = bufferFullMessage(this.options.maxBufferSize, this.queue.length);
      this.logger.error(message);
      return Promise.reject(new AuditWriteError(message));
    }
    return new Promise<AuditEvent>((resolve, reject) => {
      const pending: Pending = { event, resolve, reject, settled: false };
      this.queue.push(pending);
      // While the database is known to be failing, a fail-open caller is not kept waiting for
      // the next retry: it learns at once that its event is buffered.
      if (this.retryTimer) settle(pending, () => reject(bufferedError(undefined)));
      this.kick();
    });
  }

  private kick(): void {
    if (this.writing || this.retryTimer) return;
    this.writing = true;
    // One macrotask of delay lets every caller of the current tick join the same batch.
    setImmediate(() => void this.drain());
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.options.maxBatchSize);
      try {
        // After a failure, the last attempt may have committed without our hearing of it.
        const stored = await this.store.write(
          batch.map((p) => p.event),
          { mayBeStored: this.failures > 0 },
        );
        this.queue.splice(0, batch.length);
        this.failures = 0;
        batch.forEach((p, i) => settle(p, () => p.resolve(stored[i])));
      } catch (err) {
        if (this.options.policy === 'fail-closed') {
          this.queue.splice(0, batch.length);
          this.logger.error(writeFailedMessage(batch.length, err, 'fail-closed'));
          const error = new AuditWriteError('The activity could not be recorded in the audit log', {
            cause: err,
          });
          batch.forEach((p) => settle(p, () => p.reject(error)));
          continue;
        }
        this.failures += 1;
        const delay = Math.min(
          this.options.retryMaxMs,
          this.options.retryBaseMs * 2 ** (this.failures - 1),
        );
        this.logger.error(writeFailedMessage(this.queue.length, err, 'fail-open', delay));
        const error = bufferedError(err);
        for (const p of this.queue) settle(p, () => p.reject(error));
        this.writing = false;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          this.kick();
        }, delay);
        this.retryTimer.unref();
        return;
      }
    }
    this.writing = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    waiters.forEach((w) => w());
  }

  /** Resolves when everything queued so far has been written (or given up on). */
  flush(): Promise<void> {
    if (!this.writing && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops taking events and writes what is queued. Under fail-open, retries go on until the
   * queue is empty or `shutdownTimeoutMs` passes; whatever is left then is reported loudly.
   */
  async close(): Promise<void> {
    this.closed = true;
    const deadline = Date.now() + this.options.shutdownTimeoutMs;
    while (this.queue.length > 0 && Date.now() < deadline) {
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
      this.kick();
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 100))]);
      if (this.queue.length > 0 && !this.writing) await new Promise((r) => setTimeout(r, 100));
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.queue.length > 0) {
      this.logger.error(droppedOnShutdownMessage(this.queue.length));
      const error = new AuditWriteError(
        'The audit log shut down before the activity could be stored',
      );
      this.queue.forEach((p) => settle(p, () => p.reject(error)));
      this.queue = [];
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
