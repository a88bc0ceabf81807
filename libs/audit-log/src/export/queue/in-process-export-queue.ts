import { exportAttemptFailedMessage, exportFailedMessage } from '../export.messages';
import {
  ExportJobHandler,
  ExportJobQueue,
  ExportQueueLogger,
  ExportRetryPolicy,
} from './export-job-queue.interface';

interface Job {
  attempt: number;
  timer?: NodeJS.Timeout;
}

/**
 * The development queue: jobs run in this process, with the same one-job-per-export rule and
 * the same retries as Bull. Nothing is shared between processes; exports a restart interrupted
 * are picked up again by the recovery sweep from the database.
 */
export class InProcessExportQueue implements ExportJobQueue {
  readonly kind = 'in-process';
  private readonly jobs = new Map<string, Job>();
  private readonly waiting: string[] = [];
  private readonly running = new Set<Promise<void>>();
  private handler?: ExportJobHandler;
  private concurrency = 1;
  private closed = false;

  constructor(
    private readonly retry: ExportRetryPolicy,
    private readonly logger: ExportQueueLogger,
  ) {}

  async add(exportId: string): Promise<void> {
    if (this.closed || this.jobs.has(exportId)) return;
    this.jobs.set(exportId, { attempt: 0 });
    this.waiting.push(exportId);
    this.pump();
  }

  async has(exportId: string): Promise<boolean> {
    return this.jobs.has(exportId);
  }

  work(concurrency: number, handler: ExportJobHandler): void {
    this.concurrency = concurrency;
    this.handler = handler;
    this.pump();
  }

  async ping(): Promise<void> {
    // Nothing outside the process to reach.
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    this.waiting.length = 0;
    await Promise.allSettled([...this.running]);
    this.jobs.clear();
  }

  private pump(): void {
    while (
      this.handler &&
      !this.closed &&
      this.running.size < this.concurrency &&
      this.waiting.length
    ) {
      const exportId = this.waiting.shift()!;
      const run: Promise<void> = this.runOnce(exportId, this.handler).finally(() => {
        this.running.delete(run);
        this.pump();
      });
      this.running.add(run);
    }
  }

  private async runOnce(exportId: string, handler: ExportJobHandler): Promise<void> {
    const job = this.jobs.get(exportId);
    if (!job) return;
    job.attempt += 1;
    try {
      await handler(exportId);
      this.jobs.delete(exportId);
    } catch (err) {
      if (job.attempt >= this.retry.attempts || this.closed) {
        this.jobs.delete(exportId);
        this.logger.error(exportFailedMessage(exportId, err));
        return;
      }
      this.logger.warn(exportAttemptFailedMessage(exportId, job.attempt, err));
      const delay = this.retry.backoffMs * 2 ** (job.attempt - 1);
      job.timer = setTimeout(() => {
        job.timer = undefined;
        this.waiting.push(exportId);
        this.pump();
      }, delay);
    }
  }
}
