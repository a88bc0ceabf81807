/** Runs one export; rejects to have the queue try again later. */
export type ExportJobHandler = (exportId: string) => Promise<void>;

/**
 * Schedules export jobs, one per export id: adding an id that is already waiting or running is
 * a no-op. The queue only schedules; `auditkit_exports` decides what each attempt may do.
 */
export interface ExportJobQueue {
  /** Whether jobs go through Redis (shared by processes) or stay in this process. */
  readonly kind: 'bull' | 'in-process';
  /** Queues the export unless a job for it is already waiting, delayed or running. */
  add(exportId: string): Promise<void>;
  /** Whether a job for the export is waiting, delayed or running. */
  has(exportId: string): Promise<boolean>;
  /** Starts taking jobs in this process, `concurrency` at a time. */
  work(concurrency: number, handler: ExportJobHandler): void;
  /**
   * Resolves when the queue's backing store answers (readiness, and before an export is
   * accepted); rejects with a DependencyUnavailableError, within a bounded time, when it does not.
   */
  ping(): Promise<void>;
  /** Stops taking jobs, waits for the running ones, releases connections. */
  close(): Promise<void>;
}

/** Retry schedule shared by both queues. */
export interface ExportRetryPolicy {
  /** Tries per job. */
  attempts: number;
  /** First retry delay; doubles on each retry. */
  backoffMs: number;
}

/** Anything with `warn`/`error` (and `log`), like Nest's Logger. */
export interface ExportQueueLogger {
  log?(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}
