import { resolveExportOptions } from '../export.module-definition';
import { bullQueueOptions } from './export-queue.registration';

const required = { publicUrl: 'https://audit.example.test/', linkSecret: 'x'.repeat(32) };
const queue = { name: 'q', lockDurationMs: 1500, stalledIntervalMs: 500, maxStalledCount: 2 };
const settings = { lockDuration: 1500, stalledInterval: 500, maxStalledCount: 2 };

describe('bullQueueOptions', () => {
  it('gives a queue of its own Redis none of the host shared Bull configuration', () => {
    const o = resolveExportOptions({ ...required, redisUrl: 'redis://127.0.0.1:6390', queue });
    const host = { redis: { port: 1 }, prefix: 'host', createClient: jest.fn() };
    const options = bullQueueOptions(o, host);
    // @nestjs/bull spreads these over the host's configuration.
    const merged = { ...host, ...options };
    expect(merged).toMatchObject({
      name: 'q',
      url: 'redis://127.0.0.1:6390',
      prefix: 'bull',
      createClient: undefined,
      settings,
    });
    expect(merged.redis).toEqual({ retryStrategy: expect.any(Function) });
  });

  it("keeps the host's connection, prefix and settings and adds the queue's own", () => {
    const o = resolveExportOptions({ ...required, queue: { ...queue, useHostConnection: true } });
    const host = { redis: { port: 1 }, prefix: 'host', settings: { guardInterval: 7 } };
    expect({ ...host, ...bullQueueOptions(o, host) }).toEqual({
      name: 'q',
      redis: { port: 1 },
      prefix: 'host',
      settings: { guardInterval: 7, ...settings, retryProcessDelay: 1000 },
    });
  });

  it('fails the start when the host registered no BullModule.forRoot()', () => {
    const o = resolveExportOptions({ ...required, queue: { useHostConnection: true } });
    expect(() => bullQueueOptions(o, undefined)).toThrow(
      'options.queue.useHostConnection needs BullModule.forRoot({ redis: ... })',
    );
  });
});
