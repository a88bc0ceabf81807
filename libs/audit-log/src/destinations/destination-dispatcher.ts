import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  BeforeApplicationShutdown,
} from '@nestjs/common';
import { nextFailure } from './delivery-backoff';
import { DeliveryReader } from './delivery-reader';
import { DestinationRepository, StoredDestination } from './destination-repository';
import { DestinationTransports, OpenTransport } from './destination-transports';
import { ResolvedDestinationsOptions } from './destinations-options.interface';
import { AUDIT_DESTINATIONS_RESOLVED_OPTIONS } from './destinations.module-definition';

/** A destination this instance holds: its loop, and how to stop or wake it. */
interface Worker {
  readonly stop: AbortController;
  done?: Promise<void>;
}

/**
 * Delivers each active destination's events in `seq` order, one batch at a time, from the
 * instance that holds its lease. Every `pollIntervalMs` it looks for due destinations that no
 * instance holds and takes their leases (a compare-and-set UPDATE); for each one taken, a loop
 * reads the events after the cursor, delivers them, and moves the cursor only while it still
 * holds the lease and only from where it read it. A failure writes down the backoff and lets
 * the lease go, so the retry may come from any instance; a crash lets the lease expire. A
 * receiver thus sees every event, in order, and a batch twice only when its acknowledgement was
 * lost (a crash or timeout after it took the batch).
 */
@Injectable()
export class DestinationDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('AuditDestinations');
  private readonly workers = new Map<string, Worker>();
  private timer?: NodeJS.Timeout;
  private stopping = false;
  private ticking?: Promise<void>;
  private failingSince?: number;

  constructor(
    private readonly repository: DestinationRepository,
    private readonly reader: DeliveryReader,
    private readonly transports: DestinationTransports,
    @Inject(AUDIT_DESTINATIONS_RESOLVED_OPTIONS)
    private readonly options: ResolvedDestinationsOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (this.options.enabled) this.schedule(0);
  }

  // Before the core closes its database (in onApplicationShutdown): leases are let go here.
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.ticking;
    // An abort cuts a delivery short: its batch counts as unacknowledged and comes again.
    for (const w of this.workers.values()) w.stop.abort();
    await Promise.all([...this.workers.values()].map((w) => w.done));
  }

  /** Destinations this instance is delivering to now. */
  held(): string[] {
    return [...this.workers.keys()];
  }

  private now(): number {
    return this.options.clock.now().getTime();
  }

  private schedule(ms: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        this.schedule(this.options.pollIntervalMs);
      });
    }, ms);
  }

  /** Takes the leases of due destinations no instance holds, up to `maxConcurrent`. */
  private async tick(): Promise<void> {
    try {
      const free = this.options.maxConcurrent - this.workers.size;
      if (free <= 0) return;
      const now = this.now();
      const ids = await this.repository.due(now, this.options.instanceId, free + this.workers.size);
      for (const id of ids) {
        if (this.stopping || this.workers.size >= this.options.maxConcurrent) break;
        if (this.workers.has(id)) continue;
        const until = now + this.options.leaseMs;
        if (await this.repository.acquire(id, this.options.instanceId, now, until)) this.start(id);
      }
      if (this.failingSince !== undefined) {
        this.logger.log('Destinations: the database answers again; delivery goes on');
        this.failingSince = undefined;
      }
    } catch (err) {
      // One line per outage, not one per poll.
      if (this.failingSince === undefined) {
        this.failingSince = this.now();
        this.logger.error(`Destinations: cannot look for work: ${(err as Error).message}`);
      }
    }
  }

  private start(id: string): void {
    const worker: Worker = { stop: new AbortController() };
    this.workers.set(id, worker);
    worker.done = this.run(id, worker).finally(() => this.workers.delete(id));
  }

  /** Delivers batch after batch while this instance holds the lease and the destination is active. */
  private async run(id: string, worker: Worker): Promise<void> {
    const owner = this.options.instanceId;
    let open: OpenTransport | undefined;
    try {
      for (;;) {
        if (worker.stop.signal.aborted) return;
        const d = await this.repository.byId(id);
        if (!d || d.state !== 'active' || d.leaseOwner !== owner) return;
        let now = this.now();
        // Renewed while at least half the lease is left, which is more than a delivery may take.
        if (d.leaseUntil - now < this.options.leaseMs / 2) {
          if (!(await this.repository.renew(id, owner, now, now + this.options.leaseMs))) return;
        }
        const batch = await this.reader.next(d, this.options.batchSize);
        if (batch === 'gap') {
          await this.failed(d, this.reader.gapError(d), true);
          return;
        }
        if (!batch) {
          await sleep(this.options.pollIntervalMs, worker.stop.signal);
          continue;
        }
        try {
          if (open?.updatedAt !== d.updatedAt) {
            await open?.transport.close();
            open = this.transports.open(d);
          }
          await open.transport.deliver(batch, worker.stop.signal);
        } catch (err) {
          if (worker.stop.signal.aborted) return;
          await this.failed(d, err, false);
          return;
        }
        now = this.now();
        const moved = await this.repository.advance(
          id,
          owner,
          d.deliveredSeq,
          batch.lastSeq,
          batch.lastHash,
          now,
          now + this.options.leaseMs,
        );
        // Lost the lease mid-batch: the instance that has it now delivers from the cursor.
        if (!moved) return;
      }
    } catch (err) {
      if (!worker.stop.signal.aborted)
        this.logger.warn(`Destination ${id}: delivery stopped: ${(err as Error).message}`);
    } finally {
      await open?.transport.close().catch(() => undefined);
      await this.repository.release(id, owner).catch(() => undefined);
    }
  }

  private async failed(d: StoredDestination, error: unknown, forcePause: boolean): Promise<void> {
    const now = this.now();
    const f = nextFailure(d, error, now, this.options);
    if (forcePause) f.pause = true;
    await this.repository.fail(d.id, this.options.instanceId, f, now);
    const what = `Destination ${d.id} (${d.type}, org ${d.orgId})`;
    if (f.pause)
      this.logger.warn(`${what} paused after ${f.failures} failed deliveries: ${f.error}`);
    else
      this.logger.warn(
        `${what}: delivery failed (${f.failures} in a row), next attempt in ${Math.round((f.nextAttemptAt - now) / 1000)} s: ${f.error}`,
      );
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
