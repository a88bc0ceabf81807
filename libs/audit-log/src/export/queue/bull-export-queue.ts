import Bull from 'bull';
import { queueErrorMessage } from '../export.messages';
import {
  ExportJobHandler,
  ExportJobQueue,
  ExportQueueLogger,
  ExportRetryPolicy,
} from './export-job-queue.interface';

/** Options of {@link BullExportQueue}. */
export interface BullExportQueueOptions extends ExportRetryPolicy {
  redisUrl: string;
  name: string;
  prefix: string;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
  logger: ExportQueueLogger;
}

interface ExportJobData {
  exportId: string;
}

/**
 * Export jobs on a Bull queue in Redis. The export id is the job id, so adding an export twice
 * never makes two jobs; a worker that dies leaves its job locked until Bull's stalled check
 * hands it to another worker. Finished jobs are removed: the database keeps the history.
 */
export class BullExportQueue implements ExportJobQueue {
  readonly kind = 'bull';
  private readonly queue: Bull.Queue<ExportJobData>;
  private closing = false;
  private lastError?: { message: string; at: number };

  constructor(private readonly options: BullExportQueueOptions) {
    this.queue = new Bull<ExportJobData>(options.name, options.redisUrl, {
      prefix: options.prefix,
      redis: {
        // Reconnect quickly after a Redis restart instead of Bull's default of up to 20 s.
        retryStrategy: (times: number) => Math.min(100 * times, 2000),
      },
      settings: {
        lockDuration: options.lockDurationMs,
        stalledInterval: options.stalledIntervalMs,
        maxStalledCount: options.maxStalledCount,
        retryProcessDelay: 1000,
      },
    });
    // Without a listener, a lost connection or a job that vanished with a Redis restart would be
    // an unhandled 'error' event.
    this.queue.on('error', (err) => this.warn(err));
  }

  async add(exportId: string): Promise<void> {
    await this.queue.add(
      { exportId },
      {
        jobId: exportId,
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  async has(exportId: string): Promise<boolean> {
    const job = await this.queue.getJob(exportId);
    if (!job) return false;
    const state = await job.getState();
    return state !== 'completed' && state !== 'failed' && (state as string) !== 'stuck';
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
    const reply = await this.queue.client.ping();
    if (reply !== 'PONG') throw new Error(`Redis answered ${reply}`);
  }

  private warn(err: unknown): void {
    // While Redis is down every client reports every reconnect; once per 30 s says it all.
    const message = queueErrorMessage(err);
    const now = Date.now();
    if (this.lastError?.message === message && now - this.lastError.at < 30_000) return;
    this.lastError = { message, at: now };
    this.options.logger.warn(message);
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.queue.close();
  }
}
