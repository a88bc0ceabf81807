import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  Optional,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ResolvedAuditLogOptions } from '../audit-log-options.interface';
import { AUDIT_DATA_SOURCE, AUDIT_RESOLVED_OPTIONS } from '../audit-log.internal-constants';
import type { AuditEvent } from '../event/audit-event.interface';
import {
  AUDIT_METRICS_SINK,
  AuditMetricsSink,
  NOOP_METRICS_SINK,
} from '../metrics/audit-metrics-sink';
import { EVENTS_TABLE, ORG_STATE_TABLE } from '../store/store.constants';
import { ChainReport, verifyChain } from './chain-verifier';
import { CheckpointBody, CheckpointKind, signCheckpoint, SignedCheckpoint } from './checkpoint';
import { CheckpointRepository } from './checkpoint-repository';
import { SigningKeyError, SigningKeys } from './signing-keys';
import type { CheckpointWitness } from './witness/checkpoint-witness.interface';

/** How often the time-based checkpoint schedule looks for orgs that are due. */
const CHECKPOINT_SWEEP_MS = 60_000;

/** A checkpoint that cannot be taken, in words (no events, or a state that disagrees). */
export class CheckpointRefusedError extends Error {}

/**
 * Signed checkpoints of each org's chain: taken on a schedule (every N events or T minutes), at
 * each purge and on demand; stored, and handed to the configured witnesses. Also runs the
 * verification of an org against them. See docs/integrity.md.
 */
@Injectable()
export class IntegrityService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditLog');
  /** The signing keys, when a signing key is configured. */
  readonly keys?: SigningKeys;
  readonly checkpoints: CheckpointRepository;
  private readonly options: ResolvedAuditLogOptions['integrity'];
  // Each org's newest checkpoint seq as this process knows it, to count events towards the next.
  private readonly signedSeq = new Map<string, number>();
  private readonly verifying = new Map<string, Promise<ChainReport>>();
  private readonly signing = new Map<string, Promise<SignedCheckpoint>>();
  private running = false;
  private closed = false;
  private sweepTimer?: NodeJS.Timeout;

  constructor(
    @Inject(AUDIT_DATA_SOURCE) private readonly dataSource: DataSource,
    @Inject(AUDIT_RESOLVED_OPTIONS) private readonly resolved: ResolvedAuditLogOptions,
    @Optional()
    @Inject(AUDIT_METRICS_SINK)
    private readonly metrics: AuditMetricsSink = NOOP_METRICS_SINK,
  ) {
    this.options = resolved.integrity;
    this.checkpoints = new CheckpointRepository(dataSource);
    if (this.options.signingKey) {
      try {
        this.keys = new SigningKeys(this.options.signingKey, this.options.previousPublicKeys);
      } catch (err) {
        if (err instanceof SigningKeyError)
          throw new Error(`AuditLogModule: integrity.signingKey: ${err.message}`);
        throw err;
      }
    }
  }

  /**
   * Starts the once-a-minute sweep for orgs that are due by time. A timer of its own rather than
   * `@Cron`: recording is the core package, and a host that only records should not need
   * `@nestjs/schedule` (and its date library) for checkpoints to be taken.
   */
  onApplicationBootstrap(): void {
    if (!this.scheduling) return;
    this.sweepTimer = setInterval(() => void this.scheduled(), CHECKPOINT_SWEEP_MS);
    // The sweep alone must not keep a process (a CLI, a test) alive.
    this.sweepTimer.unref();
  }

  private get scheduling(): boolean {
    return this.options.schedule && this.resolved.tamperEvidence && !this.closed;
  }

  /**
   * Lets checkpoints and verifications under way finish before the database closes, and starts
   * no new scheduled one: a query cut off by the close could leave a connection behind.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    await Promise.allSettled([...this.signing.values(), ...this.verifying.values()]);
  }

  /** Checkpoints every org that is due: N events or T minutes since its last one. */
  async scheduled(): Promise<void> {
    if (!this.scheduling || this.running) return;
    this.running = true;
    try {
      const before = this.now() - this.options.checkpointEveryMinutes * 60_000;
      for (const due of await this.checkpoints.due(this.options.checkpointEveryEvents, before)) {
        await this.checkpoint(due.orgId, 'scheduled').catch((err: Error) =>
          this.logger.error(`Checkpoint of ${due.orgId} failed: ${err.message}`),
        );
      }
    } catch (err) {
      this.logger.error(`Scheduled checkpoints failed: ${(err as Error).message}`);
    } finally {
      this.running = false;
    }
  }

  /**
   * Told of every committed batch: an org that has reached N events since its last checkpoint
   * gets one now, off the recording path.
   */
  noteCommitted(events: readonly AuditEvent[]): void {
    if (!this.scheduling) return;
    const heads = new Map<string, number>();
    for (const e of events) heads.set(e.orgId, Math.max(e.seq, heads.get(e.orgId) ?? 0));
    for (const [orgId, seq] of heads) {
      const signed = this.signedSeq.get(orgId);
      // Unknown yet: count from here; the minute schedule covers whatever came before.
      if (signed === undefined) this.signedSeq.set(orgId, seq);
      else if (seq - signed >= this.options.checkpointEveryEvents) {
        this.signedSeq.set(orgId, seq);
        void this.checkpoint(orgId, 'scheduled').catch((err: Error) =>
          this.logger.error(`Checkpoint of ${orgId} failed: ${err.message}`),
        );
      }
    }
  }

  /**
   * Signs, stores and hands to the witnesses a checkpoint of the org's current head. Refuses
   * (CheckpointRefusedError) an org with no events, or whose state row and last event disagree:
   * a checkpoint must never vouch for a head that does not verify.
   */
  checkpoint(orgId: string, kind: CheckpointKind = 'manual'): Promise<SignedCheckpoint> {
    // One at a time per org in this process, in turn: a later call signs the head as it is then.
    const before = this.signing.get(orgId) ?? Promise.resolve(undefined);
    const run = before.catch(() => undefined).then(() => this.takeCheckpoint(orgId, kind));
    this.signing.set(orgId, run);
    const done = () => {
      if (this.signing.get(orgId) === run) this.signing.delete(orgId);
    };
    run.then(done, done);
    return run;
  }

  private async takeCheckpoint(orgId: string, kind: CheckpointKind): Promise<SignedCheckpoint> {
    const [row]: {
      last_seq: string | number;
      last_hash: string | null;
      event_hash: string | null;
      hash_v: string | number | null;
    }[] = await this.dataSource.query(
      `SELECT s.last_seq, s.last_hash, e.hash AS event_hash, e.hash_v FROM ${ORG_STATE_TABLE} s LEFT JOIN ${EVENTS_TABLE} e ON e.org_id = s.org_id AND e.seq = s.last_seq WHERE s.org_id = ?`,
      [orgId],
    );
    const seq = row ? Number(row.last_seq) : 0;
    if (seq === 0) throw new CheckpointRefusedError(`no events are recorded for ${orgId}`);
    if (row.event_hash !== row.last_hash) {
      throw new CheckpointRefusedError(
        `the state of ${orgId} does not match its event at seq ${seq}; not signing (run verify)`,
      );
    }
    const first = !(await this.checkpoints.latest(orgId));
    // The first checkpoint over events written before format 1 is the upgrade's seal.
    if (first && kind === 'scheduled' && row.hash_v === null) kind = 'upgrade';
    let purge = await this.checkpoints.latestPurge(orgId);
    if (!purge && first) purge = await this.sealLegacyPurge(orgId);
    if (purge && !purge.signature && this.keys) {
      // A purge made before a key was configured is signed once, at the upgrade; without it the
      // removed prefix would read as deleted history.
      await this.sign({ ...purge, keyId: this.keys.keyId, time: this.now(), kind: 'purge' });
    }
    const cp = await this.sign({
      v: 1,
      org: orgId,
      seq,
      head: row.last_hash,
      count: seq - (purge?.purge?.throughSeq ?? 0),
      time: this.now(),
      keyId: this.keys?.keyId ?? '',
      kind,
    });
    this.signedSeq.set(orgId, Math.max(seq, this.signedSeq.get(orgId) ?? 0));
    return cp;
  }

  /**
   * An org whose oldest events were purged before checkpoints existed starts past seq 1 with no
   * purge checkpoint. Its first checkpoint first records that start, so that a later deletion
   * from the head reads as one. The hash before it is gone, so the statement names none.
   */
  private async sealLegacyPurge(orgId: string): Promise<SignedCheckpoint | undefined> {
    const [first]: { seq: string | number }[] = await this.dataSource.query(
      `SELECT seq FROM ${EVENTS_TABLE} WHERE org_id = ? ORDER BY seq LIMIT 1`,
      [orgId],
    );
    const firstSeq = first ? Number(first.seq) : 1;
    if (firstSeq <= 1) return undefined;
    return this.purgeCheckpoint(orgId, firstSeq - 1, null, 'removed before checkpoints existed');
  }

  /**
   * The purge checkpoint: "seq 1..throughSeq removed under `policy`, the hash at throughSeq
   * was `head`". Stored (and witnessed) before the purge deletes anything.
   */
  async purgeCheckpoint(
    orgId: string,
    throughSeq: number,
    head: string | null,
    policy: string,
  ): Promise<SignedCheckpoint> {
    const previous = await this.checkpoints.latestPurge(orgId);
    return this.sign({
      v: 1,
      org: orgId,
      seq: throughSeq,
      head,
      count: throughSeq - (previous?.purge?.throughSeq ?? 0),
      time: this.now(),
      keyId: this.keys?.keyId ?? '',
      kind: 'purge',
      purge: { throughSeq, policy },
    });
  }

  /**
   * Verifies an org's chain against its stored checkpoints, the witnesses that can be read back,
   * and `extra` checkpoints (a witness directory given to the CLI). One run per org at a time;
   * concurrent callers share it.
   */
  verify(
    orgId: string,
    extra: { cp: SignedCheckpoint; witness: string }[] = [],
  ): Promise<ChainReport> {
    const running = this.verifying.get(orgId);
    if (running && extra.length === 0) return running;
    const run = (async () => {
      const witnessed = [...extra];
      for (const w of this.options.witnesses) {
        if (!w.read) continue;
        for (const cp of await w.read(orgId)) witnessed.push({ cp, witness: w.name });
      }
      return verifyChain(
        this.dataSource,
        orgId,
        this.keys,
        await this.checkpoints.list(orgId),
        witnessed,
      );
    })();
    // Counted once per run, however many callers share it.
    run.then(
      (report) => this.metrics.verificationFinished(report.ok ? 'intact' : 'broken'),
      () => this.metrics.verificationFinished('error'),
    );
    if (extra.length === 0) {
      this.verifying.set(orgId, run);
      void run.finally(() => this.verifying.delete(orgId)).catch(() => undefined);
    }
    return run;
  }

  private async sign(body: CheckpointBody): Promise<SignedCheckpoint> {
    const cp: SignedCheckpoint = this.keys
      ? signCheckpoint(body, this.keys.privateKey)
      : { ...body, signature: '' };
    await this.checkpoints.insert(cp);
    this.metrics.checkpointStored(cp.kind);
    await this.publish(cp, this.options.witnesses);
    return cp;
  }

  private async publish(cp: SignedCheckpoint, witnesses: CheckpointWitness[]): Promise<void> {
    for (const w of witnesses) {
      // A witness that is down must not stop checkpoints, nor the purge that waits on one.
      await w
        .publish(cp)
        .catch((err: Error) =>
          this.logger.error(
            `Checkpoint of ${cp.org} at seq ${cp.seq} not handed to ${w.name}: ${err.message}`,
          ),
        );
    }
  }

  private now(): number {
    return this.resolved.clock.now().getTime();
  }
}
