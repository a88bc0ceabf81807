import type { Queue } from 'bull';
import { DependencyUnavailableError } from '../../exceptions/dependency-unavailable.exception';
import { queueErrorMessage } from '../export.messages';
import {
  ExportJobHandler,
  ExportJobQueue,
  ExportQueueLogger,
  ExportRetryPolicy,
} from './export-job-queue.interface';
import {
  queueRedisBackMessage,
  queueRedisDownMessage,
  redisTimeoutMessage,
} from './export-queue.messages';

/** Options of {@link BullExportQueue}; Redis, names and lock settings are the queue's own. */
export interface BullExportQueueOptions extends ExportRetryPolicy {
  /** Longest wait for Redis in `add`, `has` and `ping` before they fail as unavailable. */
  commandTimeoutMs: number;
  logger: ExportQueueLogger;
}

/** What an export job carries. */
export interface ExportJobData {
  exportId: string;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** Whether an ioredis / Bull error says the connection to Redis is gone (not a failed command). */
function isConnectionError(err: unknown): boolean {
  const e = err as { name?: unknown; code?: unknown; message?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
  return (
    typeof e.message === 'string' &&
    /^Connection is closed|enableOfflineQueue options? is false/.test(e.message)
  );
}

function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/\/\/[^@\s/]*@/g, '//***@')
    .replace(/\s+/g, ' ')
    .slice(0, 200);
}

/**
 * Export jobs on a Bull queue in Redis, the queue `@nestjs/bull` registered for the module (see
 * `bullQueueOptions` for its settings). The export id is the job id, so adding an export twice
 * never makes two jobs; a worker that dies leaves its job locked until Bull's stalled check
 * hands it to another worker. Finished jobs are removed: the database keeps the history.
 *
 * Calls made on behalf of a request (`add`, `has`, `ping`) never wait for Redis longer than
 * `commandTimeoutMs`, and fail at once while Redis is known to be down, with a
 * {@link DependencyUnavailableError} (503 over HTTP). Losing and regaining Redis is logged once
 * each, not on every reconnect attempt.
 */
export class BullExportQueue implements ExportJobQueue {
  readonly kind = 'bull';
  private closing = false;
  private lastError?: { message: string; at: number };
  /** Why Redis is unreachable, while the queue's connection is down. */
  private down?: string;
  private downLogged = false;

  constructor(
    private readonly queue: Queue<ExportJobData>,
    private readonly options: BullExportQueueOptions,
  ) {
    // Without a listener, a lost connection or a job that vanished with a Redis restart would be
    // an unhandled 'error' event.
    this.queue.on('error', (err) => this.onError(err));
    const client = this.queue.client;
    client.on('close', () => {
      // ioredis's own words for a command sent now.
      if (!this.closing) this.down ??= 'Connection is closed.';
    });
    client.on('ready', () => this.onReady());
  }

  async add(exportId: string): Promise<void> {
    await this.connected('queueing an export');
    await this.bounded(
      this.queue.add(
        { exportId },
        {
          jobId: exportId,
          attempts: this.options.attempts,
          backoff: { type: 'exponential', delay: this.options.backoffMs },
          removeOnComplete: true,
          removeOnFail: true,
        },
      ),
      'queueing an export',
    );
  }

  async has(exportId: string): Promise<boolean> {
    await this.connected('looking up a job');
    return this.bounded(
      (async () => {
        const job = await this.queue.getJob(exportId);
        if (!job) return false;
        const state = await job.getState();
        return state !== 'completed' && state !== 'failed' && (state as string) !== 'stuck';
      })(),
      'looking up a job',
    );
  }

  work(concurrency: number, handler: ExportJobHandler): void {
    this.queue
      .process(concurrency, (job) => handler(job.data.exportId))
      .catch((err: unknown) => {
        // Rejects when the queue is closed while starting, or Redis is gone for good.
        if (!this.closing) this.options.logger.error(queueErrorMessage(err));
      });
  }

  async ping(): Promise<void> {
    await this.connected('PING');
    const reply = await this.bounded(this.queue.client.ping(), 'PING');
    if (reply !== 'PONG') throw new Error(`Redis answered ${reply}`);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.queue.close();
  }

  /** Resolves once the queue's connection is up; fails at once while Redis is known down. */
  private async connected(what: string): Promise<void> {
    const client = this.queue.client;
    if (client.status === 'ready') return;
    if (this.down !== undefined) {
      throw new DependencyUnavailableError('redis', this.down);
    }
    // Still connecting for the first time (start-up): wait for it, within the bound.
    await this.bounded(new Promise<void>((resolve) => client.once('ready', () => resolve())), what);
  }

  /** `promise`, or a DependencyUnavailableError once it took `commandTimeoutMs`. */
  private async bounded<T>(promise: Promise<T>, what: string): Promise<T> {
    const ms = this.options.commandTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([
        promise,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new DependencyUnavailableError('redis', redisTimeoutMessage(what, ms))),
            ms,
          );
        }),
      ]);
    } catch (err) {
      if (isConnectionError(err)) {
        throw new DependencyUnavailableError('redis', describe(err), { cause: err });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private onError(err: unknown): void {
    if (isConnectionError(err)) {
      // Every connection of the queue (commands, blocking reads, events) reports every
      // reconnect attempt; one line per outage says it. The next 'ready' of the command
      // connection ends it.
      this.down = describe(err);
      if (!this.downLogged && !this.closing) {
        this.downLogged = true;
        this.options.logger.warn(queueRedisDownMessage(this.down));
      }
      return;
    }
    this.warn(err);
  }

  private onReady(): void {
    this.down = undefined;
    if (this.downLogged) {
      this.downLogged = false;
      (this.options.logger.log ?? this.options.logger.warn).call(
        this.options.logger,
        queueRedisBackMessage(),
      );
    }
  }

  private warn(err: unknown): void {
    // Anything else, at most once per 30 s for the same message.
    const message = queueErrorMessage(err);
    const now = Date.now();
    if (this.lastError?.message === message && now - this.lastError.at < 30_000) return;
    this.lastError = { message, at: now };
    this.options.logger.warn(message);
  }
}
