import { resolveDestinationsOptions } from './destinations.module-definition';

describe('resolveDestinationsOptions', () => {
  const key = 'k'.repeat(16);

  it('fills in the defaults', () => {
    const o = resolveDestinationsOptions({ encryptionKey: key });
    expect(o).toMatchObject({
      enabled: true,
      pollIntervalMs: 200,
      batchSize: 500,
      backoffMinMs: 1000,
      backoffMaxMs: 300_000,
      pauseAfterFailures: 10,
      pauseAfterMs: 3_600_000,
      pauseAfterPermanentFailures: 3,
      timeoutMs: 10_000,
      leaseMs: 30_000,
      maxConcurrent: 32,
      apiBase: '/admin/v1',
    });
    expect([...o.types.keys()]).toEqual(['webhook', 'splunk_hec', 'syslog']);
    expect(o.encryptionKey.equals(Buffer.from(key))).toBe(true);
    expect(o.instanceId).toMatch(/:\d+:[0-9a-f]{8}$/);
  });

  it.each([
    [{}, /encryptionKey is required/],
    [{ encryptionKey: 'short' }, /encryptionKey is required/],
    [{ encryptionKey: key, batchSize: 0 }, /batchSize must be a whole number from 1 to 10000/],
    [{ encryptionKey: key, pollIntervalMs: 1.5 }, /pollIntervalMs/],
    [
      { encryptionKey: key, timeoutMs: 20_000 },
      /leaseMs \(30000\) must be more than twice timeoutMs/,
    ],
    [{ encryptionKey: key, backoffMinMs: 5000, backoffMaxMs: 1000 }, /backoffMaxMs/],
    [{ encryptionKey: key, enabled: 'yes' }, /enabled must be true or false/],
    [{ encryptionKey: key, types: [{ type: 'Bad Type' }] }, /each of types/],
  ])('refuses %j', (options, message) => {
    expect(() => resolveDestinationsOptions(options as never)).toThrow(message);
  });

  it('adds types and lets a host replace a built-in one', () => {
    const syslog = { type: 'syslog', custom: true } as never;
    const webhook = { type: 'webhook', marker: true } as never;
    const o = resolveDestinationsOptions({ encryptionKey: key, types: [syslog, webhook] });
    expect([...o.types.keys()]).toEqual(['webhook', 'splunk_hec', 'syslog']);
    expect(o.types.get('webhook')).toBe(webhook);
    const withFiles = resolveDestinationsOptions({
      encryptionKey: key,
      fileDirectory: '/var/lib/x',
    });
    expect([...withFiles.types.keys()]).toEqual(['webhook', 'splunk_hec', 'syslog', 'file']);
  });
});
