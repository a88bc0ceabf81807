import { ThrottlerStorageService } from '@nestjs/throttler';
import { SlidingWindowStorage } from './sliding-window-storage';
import { prng } from '../../../../apps/example-host/src/demo-data';

describe('SlidingWindowStorage', () => {
  let now: number;
  beforeEach(() => {
    now = Date.UTC(2026, 0, 1);
    jest.spyOn(Date, 'now').mockImplementation(() => now);
  });
  afterEach(() => jest.restoreAllMocks());

  it("answers as @nestjs/throttler's ThrottlerStorageService does for a sliding window", async () => {
    const ours = new SlidingWindowStorage();
    const theirs = new ThrottlerStorageService();
    const rand = prng(7);
    try {
      for (let i = 0; i < 5000; i++) {
        // Bursts and pauses, over two keys with different windows and limits.
        now += rand() < 0.9 ? Math.floor(rand() * 40) : Math.floor(rand() * 3000);
        const [key, ttl, limit] = rand() < 0.7 ? ['a', 2000, 25] : ['b', 5000, 7];
        const args = [key, ttl, limit, 0, 'default'] as const;
        expect(await ours.increment(...args)).toEqual(await theirs.increment(...args));
      }
    } finally {
      theirs.onApplicationShutdown();
    }
  });

  it('blocks at the limit and lets one more in as soon as the oldest leaves the window', async () => {
    const s = new SlidingWindowStorage();
    for (let i = 0; i < 3; i++) {
      expect((await s.increment('k', 10_000, 3, 0, 'default')).isBlocked).toBe(false);
      now += 1000;
    }
    const refused = await s.increment('k', 10_000, 3, 0, 'default');
    expect(refused).toMatchObject({ isBlocked: true, totalHits: 4, timeToBlockExpire: 7 });
    now += 7000;
    expect((await s.increment('k', 10_000, 3, 0, 'default')).isBlocked).toBe(false);
  });

  it('costs the same however many requests the window holds', async () => {
    const s = new SlidingWindowStorage();
    const time = async (n: number) => {
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await s.increment('busy', 60_000, 1_000_000, 0, 'default');
      return Number(process.hrtime.bigint() - t) / n;
    };
    await time(2000);
    const early = await time(2000);
    await time(50_000);
    const late = await time(2000);
    // ThrottlerStorageService copies the whole window each time: 50 times slower here.
    expect(late).toBeLessThan(early * 5 + 2000);
  });
});
