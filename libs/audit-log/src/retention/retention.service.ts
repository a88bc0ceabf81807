import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Cron, CronExpression } from '@nestjs/schedule';
import { DataSource } from 'typeorm';
import { AUDIT_DATA_SOURCE } from '../audit-log.internal-constants';
import { systemClock } from '../common/clock';
import { warnIfNotScheduled } from '../common/scheduler-check';
import { dialectOf } from '../store/dialect';
import {
  EVENTS_TABLE,
  IDEMPOTENCY_TABLE,
  ORG_STATE_TABLE,
  TERMS_TABLE,
} from '../store/store.constants';
import { AuditRetentionModuleOptions } from './retention-options.interface';
import { AUDIT_RETENTION_OPTIONS } from './retention.module-definition';

/** What one purge removed (or, dry, would remove) for one org. */
export interface PurgeResult {
  orgId: string;
  events: number;
  terms: number;
}

const DAY = 24 * 3600 * 1000;
const RETENTION_CRON = 'auditkit-retention';
// Idempotency keys only need to outlive a client's retries.
const IDEMPOTENCY_TTL = DAY;

/**
 * Deletes events older than the retention period, org by org, in small batches that walk the
 * (org, time) indexes. The per-org `seq` state is kept, so numbering never restarts.
 */
@Injectable()
export class RetentionService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditLog');
  private running = false;

  constructor(
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(AUDIT_RETENTION_OPTIONS) private readonly options: AuditRetentionModuleOptions,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.schedule !== false) {
      warnIfNotScheduled(this.moduleRef, RETENTION_CRON, 'The retention purge');
    }
  }

  get retentionDays(): number {
    return this.options.retentionDays ?? 180;
  }

  /** The scheduled run: every hour, so a day's worth never piles up. */
  @Cron(CronExpression.EVERY_HOUR, { name: RETENTION_CRON })
  async scheduled(): Promise<void> {
    if (this.options.schedule === false || this.running) return;
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
    const now = (opts.now ?? (this.options.clock ?? systemClock).now()).getTime();
    const cutoff = now - this.retentionDays * DAY;
    const orgs: { org_id: string }[] = await this.dataSource.query(
      `SELECT org_id FROM ${ORG_STATE_TABLE} ORDER BY org_id`,
    );
    const results: PurgeResult[] = [];
    for (const { org_id: orgId } of orgs) {
      const r = opts.dryRun
        ? {
            orgId,
            events: await this.count(EVENTS_TABLE, orgId, cutoff),
            terms: await this.count(TERMS_TABLE, orgId, cutoff),
          }
        : {
            orgId,
            events: await this.deleteOld(EVENTS_TABLE, 'id', orgId, cutoff),
            terms: await this.deleteOld(TERMS_TABLE, null, orgId, cutoff),
          };
      if (r.events || r.terms) results.push(r);
    }
    if (!opts.dryRun) {
      await this.dataSource.query(`DELETE FROM ${IDEMPOTENCY_TABLE} WHERE created_at < ?`, [
        now - IDEMPOTENCY_TTL,
      ]);
    }
    return results;
  }

  private async count(table: string, orgId: string, cutoff: number): Promise<number> {
    const [row] = await this.dataSource.query(
      `SELECT COUNT(*) AS n FROM ${table} WHERE org_id = ? AND occurred_at < ?`,
      [orgId, cutoff],
    );
    return Number(row.n);
  }

  private async deleteOld(
    table: string,
    key: string | null,
    orgId: string,
    cutoff: number,
  ): Promise<number> {
    const batch = this.options.batchSize ?? 5000;
    const mysql = dialectOf(this.dataSource) === 'mysql';
    let total = 0;
    for (;;) {
      let affected: number;
      if (mysql) {
        const result = await this.dataSource.query(
          `DELETE FROM ${table} WHERE org_id = ? AND occurred_at < ? ORDER BY occurred_at LIMIT ${batch}`,
          [orgId, cutoff],
        );
        affected = Number(result.affectedRows ?? 0);
      } else {
        // SQLite has no DELETE ... LIMIT in its default build; select the batch by key instead.
        const id = key ?? 'rowid';
        const sql =
          key === null
            ? `DELETE FROM ${table} WHERE (org_id, term, occurred_at, event_id) IN (SELECT org_id, term, occurred_at, event_id FROM ${table} WHERE org_id = ? AND occurred_at < ? LIMIT ${batch})`
            : `DELETE FROM ${table} WHERE ${id} IN (SELECT ${id} FROM ${table} WHERE org_id = ? AND occurred_at < ? LIMIT ${batch})`;
        const db = (
          this.dataSource.driver as unknown as {
            databaseConnection: {
              prepare(s: string): { run(...a: unknown[]): { changes: number } };
            };
          }
        ).databaseConnection;
        affected = db.prepare(sql).run(orgId, cutoff).changes;
      }
      total += affected;
      if (affected < batch) return total;
    }
  }
}
