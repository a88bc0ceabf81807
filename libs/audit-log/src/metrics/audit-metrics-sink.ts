// What the library's recording, export, retention and integrity code reports to. This file must
// never import prom-client: it is loaded by every host, with or without AuditMetricsModule.

/** Why a batch of events could not be written: a bounded set, so it can be a label. */
export type WriteFailureReason = 'unavailable' | 'commit_unknown' | 'error';

/** Why accepted or offered events were given up: a bounded set, so it can be a label. */
export type RefusedReason = 'buffer_full' | 'write_failed' | 'shutdown';

/** How a verification run ended. */
export type VerificationResult = 'intact' | 'broken' | 'error';

/** How an export ended. */
export type ExportResult = 'ready' | 'failed';

/** The writer's figures, read at scrape time. */
export interface WriterProbe {
  /** Events accepted and not yet committed: under fail-open, the buffer's depth. */
  pending(): number;
  /** Most events the writer holds before it refuses more (`writer.maxBufferSize`). */
  capacity(): number;
}

/** Reads the number of exports in each state (one query); rejects when the database fails. */
export type ExportStateReader = () => Promise<Partial<Record<string, number>>>;

/**
 * The figures the library reports as they happen. Every method is cheap and never throws; the
 * default sink does nothing, so hosts without `AuditMetricsModule` pay one empty call per event.
 * Nothing passed here becomes a label that names an org, an actor or an event.
 */
export interface AuditMetricsSink {
  /**
   * A batch committed: its size, its latency, and the events it stored by their outcome (events
   * an earlier attempt had stored already are in `size` but not counted again).
   */
  batchCommitted(size: number, seconds: number, stored: { success: number; failure: number }): void;
  /**
   * A batch failed (it is retried under fail-open, refused under fail-closed). The error is only
   * sorted into a `WriteFailureReason`; it is never exposed.
   */
  batchFailed(error: unknown): void;
  /** `count` events were given up for `reason`. */
  eventsRefused(reason: RefusedReason, count: number): void;
  /** An export reached `ready` or `failed`, `seconds` after it was requested. */
  exportFinished(result: ExportResult, seconds: number): void;
  /** A purge (not a dry run) finished, removing `events` events. */
  purgeFinished(events: number): void;
  /** A verification run ended. */
  verificationFinished(result: VerificationResult): void;
  /** A checkpoint was stored (`kind` is a `CheckpointKind`: a bounded set). */
  checkpointStored(kind: string): void;
  /** The writer hands over what scrapes read from it (its buffer), once, when it is made. */
  watchWriter(probe: WriterProbe): void;
  /** The export module hands over how scrapes count exports by state, once, at start. */
  watchExports(reader: ExportStateReader): void;
}

/** The sink of hosts that do not collect metrics. */
export const NOOP_METRICS_SINK: AuditMetricsSink = Object.freeze({
  batchCommitted: () => undefined,
  batchFailed: () => undefined,
  eventsRefused: () => undefined,
  exportFinished: () => undefined,
  purgeFinished: () => undefined,
  verificationFinished: () => undefined,
  checkpointStored: () => undefined,
  watchWriter: () => undefined,
  watchExports: () => undefined,
});

/**
 * The injection token of the sink (provided app-wide by `AuditMetricsModule`). Services take it
 * with `@Optional()`, and fall back to `NOOP_METRICS_SINK`.
 */
export const AUDIT_METRICS_SINK = Symbol('AUDIT_METRICS_SINK');
