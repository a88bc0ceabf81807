import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  type Metric,
  Registry,
} from 'prom-client';
import { setTimeout as delay } from 'node:timers/promises';
import { classifyOutage } from '../http/outage';
import { mayHaveCommitted } from '../store/event-store';
import type { ResolvedAuditMetricsOptions } from './audit-metrics-options.interface';
import type {
  AuditMetricsSink,
  ExportResult,
  ExportStateReader,
  WriterProbe,
  RefusedReason,
  VerificationResult,
  WriteFailureReason,
} from './audit-metrics-sink';

// Every label value is one of these fixed sets: no org, actor, action or event id ever becomes
// a label, so the series count is bounded and a scrape holds no personal data.
const OUTCOMES = ['success', 'failure'] as const;
const WRITE_FAILURE_REASONS: readonly WriteFailureReason[] = [
  'unavailable',
  'commit_unknown',
  'error',
];
const REFUSED_REASONS: readonly RefusedReason[] = ['buffer_full', 'write_failed', 'shutdown'];
const VERIFICATION_RESULTS: readonly VerificationResult[] = ['intact', 'broken', 'error'];
const EXPORT_RESULTS: readonly ExportResult[] = ['ready', 'failed'];
const CHECKPOINT_KINDS = ['scheduled', 'manual', 'purge', 'upgrade'];
/** The states of `auditkit_exports.status` (`ExportStatus`). */
export const EXPORT_STATES = ['queued', 'running', 'ready', 'failed', 'expired'] as const;

/**
 * The library's metrics in a prom-client registry, and the sink that moves them. Only `metrics/`
 * imports prom-client, and only this file creates metrics, so a host without
 * `AuditMetricsModule` never loads it.
 */
export class AuditMetrics implements AuditMetricsSink {
  /** The registry the metrics are in: the host's, or one of the module's own. */
  readonly registry: Registry;
  private readonly names: string[] = [];
  private writer?: WriterProbe;
  private readExportStates?: ExportStateReader;
  private exportStatesRead?: Promise<Partial<Record<string, number>> | undefined>;

  private readonly eventsRecorded: Counter<'outcome'>;
  private readonly refused: Counter<'reason'>;
  private readonly batchSize: Histogram;
  private readonly writeSeconds: Histogram;
  private readonly writeFailures: Counter<'reason'>;
  private readonly writerPending: Gauge;
  private readonly writerCapacity: Gauge;
  private readonly exportJobs: Gauge<'state'>;
  private readonly exportSeconds: Histogram<'result'>;
  private readonly purgeRuns: Counter;
  private readonly purgedEvents: Counter;
  private readonly purgeLastSuccess: Gauge;
  private readonly verifications: Counter<'result'>;
  private readonly checkpoints: Counter<'kind'>;

  constructor(private readonly options: ResolvedAuditMetricsOptions) {
    this.registry = options.registry ?? new Registry();
    const p = options.prefix;
    const registers = [this.registry];
    const own = <T extends Metric>(metric: T): T => {
      this.names.push((metric as unknown as { name: string }).name);
      return metric;
    };

    this.eventsRecorded = own(
      new Counter({
        name: `${p}events_recorded_total`,
        help: 'Events committed by the writer, by the outcome of the activity (not those recorded in a caller transaction)',
        labelNames: ['outcome'],
        registers,
      }),
    );
    this.refused = own(
      new Counter({
        name: `${p}events_refused_total`,
        help: 'Events given up: the fail-open buffer was full, a fail-closed write failed, or still unwritten at shutdown',
        labelNames: ['reason'],
        registers,
      }),
    );
    this.batchSize = own(
      new Histogram({
        name: `${p}write_batch_size`,
        help: 'Events per committed write batch (group commit)',
        buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
        registers,
      }),
    );
    this.writeSeconds = own(
      new Histogram({
        name: `${p}write_duration_seconds`,
        help: 'Time to write and commit one batch of events',
        buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
        registers,
      }),
    );
    this.writeFailures = own(
      new Counter({
        name: `${p}write_failures_total`,
        help: 'Write batches that failed: database unavailable, commit outcome unknown, or another error',
        labelNames: ['reason'],
        registers,
      }),
    );
    this.writerPending = own(
      new Gauge({
        name: `${p}writer_pending_events`,
        help: 'Events accepted and not yet committed (under fail-open: the buffer depth)',
        registers,
        collect: () => this.writerPending.set(this.writer?.pending() ?? 0),
      }),
    );
    this.writerCapacity = own(
      new Gauge({
        name: `${p}writer_buffer_capacity_events`,
        help: 'Most events the writer holds before it refuses more (writer.maxBufferSize)',
        registers,
        collect: () => this.writerCapacity.set(this.writer?.capacity() ?? 0),
      }),
    );
    this.exportJobs = own(
      new Gauge({
        name: `${p}export_jobs`,
        help: 'Exports by state, read from the database at scrape time (absent while it does not answer)',
        labelNames: ['state'],
        registers,
        collect: () => this.collectExportStates(),
      }),
    );
    this.exportSeconds = own(
      new Histogram({
        name: `${p}export_duration_seconds`,
        help: 'Time from an export request to its file ready (or the export given up), by result',
        labelNames: ['result'],
        buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
        registers,
      }),
    );
    this.purgeRuns = own(
      new Counter({ name: `${p}purge_runs_total`, help: 'Retention purges finished', registers }),
    );
    this.purgedEvents = own(
      new Counter({
        name: `${p}purge_removed_events_total`,
        help: 'Events removed by retention purges',
        registers,
      }),
    );
    this.purgeLastSuccess = own(
      new Gauge({
        name: `${p}purge_last_success_timestamp_seconds`,
        help: 'When the last retention purge of this process finished (0: none yet)',
        registers,
      }),
    );
    this.verifications = own(
      new Counter({
        name: `${p}verifications_total`,
        help: 'Chain verification runs, by result',
        labelNames: ['result'],
        registers,
      }),
    );
    this.checkpoints = own(
      new Counter({
        name: `${p}checkpoints_total`,
        help: 'Checkpoints stored, by kind',
        labelNames: ['kind'],
        registers,
      }),
    );

    // Every series exists from the start at 0, so rate() and increase() see the first event.
    for (const outcome of OUTCOMES) this.eventsRecorded.inc({ outcome }, 0);
    for (const reason of REFUSED_REASONS) this.refused.inc({ reason }, 0);
    for (const reason of WRITE_FAILURE_REASONS) this.writeFailures.inc({ reason }, 0);
    for (const result of EXPORT_RESULTS) this.exportSeconds.zero({ result });
    for (const result of VERIFICATION_RESULTS) this.verifications.inc({ result }, 0);
    for (const kind of CHECKPOINT_KINDS) this.checkpoints.inc({ kind }, 0);

    if (options.defaultMetrics) {
      const before = new Set(this.registry.getMetricsAsArray().map((m) => m.name));
      collectDefaultMetrics({ register: this.registry });
      for (const { name } of this.registry.getMetricsAsArray()) {
        if (!before.has(name)) this.names.push(name);
      }
    }
  }

  /** Reads the writer's buffer at each scrape. */
  watchWriter(probe: WriterProbe): void {
    this.writer = probe;
  }

  /** Reads exports by state at each scrape, at most one query at a time. */
  watchExports(reader: ExportStateReader): void {
    this.readExportStates = reader;
  }

  /** Takes the module's metrics out of the registry (a host's registry outlives the app). */
  unregister(): void {
    for (const name of this.names.splice(0)) this.registry.removeSingleMetric(name);
  }

  batchCommitted(size: number, seconds: number, stored: { success: number; failure: number }) {
    this.batchSize.observe(size);
    this.writeSeconds.observe(seconds);
    if (stored.success) this.eventsRecorded.inc({ outcome: 'success' }, stored.success);
    if (stored.failure) this.eventsRecorded.inc({ outcome: 'failure' }, stored.failure);
  }

  batchFailed(error: unknown): void {
    this.writeFailures.inc({ reason: writeFailureReason(error) });
  }

  eventsRefused(reason: RefusedReason, count: number): void {
    this.refused.inc({ reason }, count);
  }

  exportFinished(result: ExportResult, seconds: number): void {
    this.exportSeconds.observe({ result }, Math.max(0, seconds));
  }

  purgeFinished(events: number): void {
    this.purgeRuns.inc();
    if (events > 0) this.purgedEvents.inc(events);
    this.purgeLastSuccess.set(Date.now() / 1000);
  }

  verificationFinished(result: VerificationResult): void {
    this.verifications.inc({ result });
  }

  checkpointStored(kind: string): void {
    // A kind added later is counted, not dropped; the set stays bounded by the code.
    this.checkpoints.inc({ kind });
  }

  private async collectExportStates(): Promise<void> {
    const gauge = this.exportJobs;
    const counts = this.readExportStates ? await this.exportStates() : undefined;
    gauge.reset();
    if (!counts) return;
    for (const state of EXPORT_STATES) gauge.set({ state }, counts[state] ?? 0);
  }

  /**
   * One query shared by overlapping scrapes, waited for at most `collectTimeoutMs`: a database
   * that is down or slow leaves the gauge out of this scrape instead of failing or stalling it.
   */
  private async exportStates(): Promise<Partial<Record<string, number>> | undefined> {
    this.exportStatesRead ??= this.readExportStates!()
      .catch(() => undefined)
      .finally(() => (this.exportStatesRead = undefined));
    const cancel = new AbortController();
    const timeout = delay(this.options.collectTimeoutMs, undefined, {
      ref: false,
      signal: cancel.signal,
    }).catch(() => undefined);
    try {
      return await Promise.race([this.exportStatesRead, timeout]);
    } finally {
      cancel.abort();
    }
  }
}

/** Sorts a write error into a bounded reason; the error itself goes nowhere. */
export function writeFailureReason(error: unknown): WriteFailureReason {
  if (mayHaveCommitted(error)) return 'commit_unknown';
  if (classifyOutage(error)?.dependency === 'database') return 'unavailable';
  return 'error';
}
