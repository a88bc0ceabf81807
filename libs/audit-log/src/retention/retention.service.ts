import { Inject, Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { warnIfNotScheduled } from '../common/scheduler-check';
import { IntegrityService } from '../integrity/integrity.service';
import {
  AUDIT_METRICS_SINK,
  AuditMetricsSink,
  NOOP_METRICS_SINK,
} from '../metrics/audit-metrics-sink';
import { IDEMPOTENCY_TABLE, ORG_STATE_TABLE } from '../store/store.constants';
import { countPrefix, deletePrefix, findDuePrefix } from './chain-prefix';
import { ResolvedRetentionOptions } from './retention-options.interface';
import { AUDIT_RETENTION_RESOLVED_OPTIONS } from './retention.module-definition';

/** What one purge removed (or, dry, would remove) for one org. */
export interface PurgeResult {
  orgId: string;
  events: number;
  terms: number;
  /** The chain now starts after this seq. */
  throughSeq: number;
}

const DAY = 24 * 3600 * 1000;
const RETENTION_CRON = 'auditkit-retention';
// Idempotency keys only need to outlive a client's retries.
const IDEMPOTENCY_TTL = DAY;

/**
 * Removes, org by org, the prefix of the chain whose events are older than the retention period,
 * after leaving a signed purge checkpoint that says so (docs/integrity.md). The per-org `seq`
 * state is kept, so numbering never restarts, and verification starts from the checkpoint.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditLog');
  private running = false;

  constructor(
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(AUDIT_RETENTION_RESOLVED_OPTIONS) private readonly options: ResolvedRetentionOptions,
    private readonly integrity: IntegrityService,
    private readonly moduleRef: ModuleRef,
    @Optional()
    @Inject(AUDIT_METRICS_SINK)
    private readonly metrics: AuditMetricsSink = NOOP_METRICS_SINK,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.schedule) {
      warnIfNotScheduled(this.moduleRef, RETENTION_CRON, 'The retention purge');
    }
  }

  get retentionDays(): number {
    return this.options.retentionDays;
  }

  /** The scheduled run: every hour, so a day's worth never piles up. */
  @Cron(CronExpression.EVERY_HOUR, { name: RETENTION_CRON })
  async scheduled(): Promise<void> {
    if (!this.options.schedule || this.running) return;
    this.running = true;
    try {
      const results = await this.purge();
      const total = results.reduce((n, r) => n + r.events, 0);
      if (total)
        this.logger.log(
          `Retention purge removed ${total} event(s) older than ${this.retentionDays} days`,
        );
    } catch (err) {
      this.logger.error(`Retention purge failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /** Runs one purge. `now` defaults to the clock; `dryRun` only counts. */
  async purge(opts: { now?: Date; dryRun?: boolean } = {}): Promise<PurgeResult[]> {
    const now = (opts.now ?? this.options.clock.now()).getTime();
    const cutoff = now - this.retentionDays * DAY;
    const orgs: { org_id: string }[] = await this.dataSource.query(
      `SELECT org_id FROM ${ORG_STATE_TABLE} ORDER BY org_id`,
    );
    const results: PurgeResult[] = [];
    for (const { org_id: orgId } of orgs) {
      const r = await this.purgeOrg(orgId, cutoff, opts.dryRun === true);
      if (r.events || r.terms) results.push(r);
    }
    if (!opts.dryRun) {
      await this.dataSource.query(`DELETE FROM ${IDEMPOTENCY_TABLE} WHERE created_at < ?`, [
        now - IDEMPOTENCY_TTL,
      ]);
      this.metrics.purgeFinished(results.reduce((n, r) => n + r.events, 0));
    }
    return results;
  }

  private async purgeOrg(orgId: string, cutoff: number, dryRun: boolean): Promise<PurgeResult> {
    const last = await this.integrity.checkpoints.latestPurge(orgId);
    const purgedThrough = last?.purge?.throughSeq ?? 0;
    const end = await findDuePrefix(this.dataSource, orgId, purgedThrough, cutoff);
    const throughSeq = end?.throughSeq ?? purgedThrough;
    if (dryRun)
      return { orgId, throughSeq, ...(await countPrefix(this.dataSource, orgId, throughSeq)) };
    if (end) {
      // Signed and witnessed before anything is deleted: a purge that stops half-way leaves a
      // checkpoint and some rows below it, which the next run removes.
      await this.integrity.purgeCheckpoint(
        orgId,
        end.throughSeq,
        end.head,
        `retention ${this.retentionDays} days`,
      );
    }
    if (throughSeq === 0) return { orgId, throughSeq, events: 0, terms: 0 };
    const removed = await deletePrefix(this.dataSource, orgId, throughSeq, this.options.batchSize);
    return { orgId, throughSeq, ...removed };
  }
}
