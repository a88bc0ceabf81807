import type { AuditClock } from '../common/clock';
import type { DestinationTypeDefinition } from './destination-types';

/** Options of `AuditDestinationsModule.forRoot()` / `forRootAsync()`. */
export interface AuditDestinationsModuleOptions {
  /**
   * The key that encrypts destination secrets (webhook secrets, HEC tokens) at rest, at least 16
   * characters or bytes; a 256-bit AES key is derived from it with HKDF-SHA256. Use the same key
   * on every instance, and keep it: secrets stored under another key cannot be read.
   */
  encryptionKey: string | Buffer;
  /** Deliver events from this process (`false`: API only, as in N API processes and M workers). @default true */
  enabled?: boolean;
  /** How often an idle destination looks for new events, in ms. @default 200 */
  pollIntervalMs?: number;
  /** Most events in one delivered batch. @default 500 */
  batchSize?: number;
  /** First wait after a failed delivery, in ms; doubled per failure, with jitter. @default 1000 */
  backoffMinMs?: number;
  /** Longest wait between attempts, in ms (a receiver's Retry-After is honoured up to 1 hour). @default 300000 */
  backoffMaxMs?: number;
  /** Consecutive failed deliveries after which a destination is paused. @default 10 */
  pauseAfterFailures?: number;
  /** Pause a destination that has failed without a success for this long, in ms. @default 3600000 */
  pauseAfterMs?: number;
  /** Consecutive permanent failures (a 4xx but 408/429) after which it is paused. @default 3 */
  pauseAfterPermanentFailures?: number;
  /** Longest one delivery may take before it counts as failed, in ms. @default 10000 */
  timeoutMs?: number;
  /**
   * How long an instance holds a destination without renewing its lease, in ms: after a crash,
   * another instance takes the destination over this long later. More than twice `timeoutMs`.
   * @default 30000
   */
  leaseMs?: number;
  /** Most destinations this process delivers to at once. @default 32 */
  maxConcurrent?: number;
  /** This instance's name in leases. @default host name, pid and a random suffix */
  instanceId?: string;
  /**
   * The path prefix of the admin API that event links in delivered batches start with, as
   * GET events-stream renders them. @default '/admin/v1'
   */
  apiBase?: string;
  /**
   * Where `file` destinations write: each org's files go under `<fileDirectory>/<org>/`, at the
   * relative `path` its admin gives. Without it, the `file` type is not offered.
   * @default unset: no file destinations
   */
  fileDirectory?: string;
  /**
   * Further destination types, or replacements of the built-in ones, keyed by `type`.
   * @default webhook, splunk_hec and syslog (and file with `fileDirectory`)
   */
  types?: readonly DestinationTypeDefinition[];
  /** Time source of leases, backoff and lag. @default the system clock */
  clock?: AuditClock;
}

/** The options with defaults filled in and checked. */
export interface ResolvedDestinationsOptions extends Required<
  Omit<AuditDestinationsModuleOptions, 'encryptionKey' | 'types'>
> {
  encryptionKey: Buffer;
  types: ReadonlyMap<string, DestinationTypeDefinition>;
}
