import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

/** One key's window: when each counted request leaves it, oldest first, from `head` on. */
interface Window {
  expirations: number[];
  head: number;
  /** When the key's window (as the throttler reports it in `timeToExpire`) ends, epoch ms. */
  expiresAt: number;
}

/** How often keys whose requests all left their window are dropped, at most. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The in-memory counts of the rate limits when a module is given no `storage`: the answers of
 * `@nestjs/throttler`'s ThrottlerStorageService for a sliding window (`blockDuration` 0, the only
 * kind RateLimitGuard asks for) at a constant cost per request. That service copies a key's
 * whole list of hits on every request and spreads it into `Math.min`: at the default 600 reads a
 * minute a busy client paid tens of microseconds a request, and a limit in the tens of
 * thousands cost milliseconds. Here requests leave the window from the front of a queue: a
 * key's window has one length (its route's), so they leave in the order they came.
 */
export class SlidingWindowStorage implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private lastSweep = Date.now();

  /** Counts a request of `key` unless `limit` are in the window (`ttl` ms) already. */
  async increment(
    key: string,
    ttl: number,
    limit: number,
    _blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    if (now - this.lastSweep >= SWEEP_INTERVAL_MS) this.sweep(now);
    const id = `${throttlerName}\u0000${key}`;
    let w = this.windows.get(id);
    if (!w) this.windows.set(id, (w = { expirations: [], head: 0, expiresAt: now + ttl }));
    while (w.head < w.expirations.length && w.expirations[w.head] <= now) w.head++;
    if (w.head > 1024 && w.head * 2 > w.expirations.length) {
      w.expirations = w.expirations.slice(w.head);
      w.head = 0;
    }
    let timeToExpire = Math.ceil((w.expiresAt - now) / 1000);
    if (timeToExpire <= 0) {
      w.expiresAt = now + ttl;
      timeToExpire = Math.ceil(ttl / 1000);
    }
    const inWindow = w.expirations.length - w.head;
    const isBlocked = inWindow >= limit;
    if (!isBlocked) w.expirations.push(now + ttl);
    const oldest = w.expirations.length > w.head ? w.expirations[w.head] : undefined;
    return {
      totalHits: inWindow + 1,
      timeToExpire,
      isBlocked,
      // Seconds until the oldest counted request leaves the window and lets one more in.
      timeToBlockExpire: isBlocked
        ? oldest === undefined
          ? timeToExpire
          : Math.ceil((oldest - now) / 1000)
        : 0,
    };
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [id, w] of this.windows) {
      const last = w.expirations[w.expirations.length - 1];
      if (last === undefined || last <= now) this.windows.delete(id);
    }
  }
}
