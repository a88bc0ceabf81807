import type { AuditClock } from '../common/clock';

/** Options of `AuditRetentionModule.forRoot()`. */
export interface AuditRetentionModuleOptions {
  /** Events older than this many days are deleted. @default 180 */
  retentionDays?: number;
  /** Run the purge on a schedule in this process (turn off on all but one kind of process). @default true */
  schedule?: boolean;
  /** Rows deleted per statement, so no purge holds long locks. @default 5000 */
  batchSize?: number;
  /** Time source. @default the system clock */
  clock?: AuditClock;
}

/** Retention options with defaults filled in. */
export type ResolvedRetentionOptions = Required<AuditRetentionModuleOptions>;
