import { systemClock } from '../common/clock';
import { resolveExportOptions } from './export.module-definition';

const required = { publicUrl: 'https://audit.example.test/', linkSecret: 'x'.repeat(32) };

describe('resolveExportOptions', () => {
  it('fills in every default', () => {
    expect(resolveExportOptions(required)).toEqual({
      redisUrl: undefined,
      worker: true,
      concurrency: 2,
      storageDir: './data/exports',
      storage: undefined,
      outboxDir: './data/outbox',
      smtpUrl: undefined,
      mailFrom: 'AuditKit <no-reply@localhost>',
      publicUrl: 'https://audit.example.test',
      linkTtlHours: 24,
      maxRows: 10000,
      linkSecret: required.linkSecret,
      clock: systemClock,
      cleanup: true,
      queue: {
        name: 'auditkit-exports',
        prefix: 'bull',
        useHostConnection: false,
        attempts: 3,
        backoffMs: 5000,
        lockDurationMs: 30000,
        stalledIntervalMs: 30000,
        maxStalledCount: 1,
        recoveryIntervalMs: 60000,
        recoveryGraceMs: 60000,
        mailClaimTimeoutMs: 900000,
        commandTimeoutMs: 3000,
      },
      rateLimit: {
        exports: { limit: 10, windowMs: 900000 },
        downloads: { limit: 30, windowMs: 900000 },
        storage: undefined,
      },
    });
  });

  it('keeps a mount path in publicUrl and drops trailing slashes', () => {
    expect(
      resolveExportOptions({ ...required, publicUrl: 'http://h:3000/audit//' }).publicUrl,
    ).toBe('http://h:3000/audit');
  });

  it.each([
    [{ publicUrl: '' }, 'options.publicUrl is required'],
    [{ publicUrl: 'ftp://x' }, 'options.publicUrl must start with http:// or https://'],
    [{ publicUrl: 'not a url' }, 'options.publicUrl is not a valid URL'],
    [{ linkSecret: '' }, 'options.linkSecret is required'],
    [{ linkSecret: 'short' }, 'options.linkSecret is required'],
    [
      { redisUrl: 'http://localhost:6379' },
      'options.redisUrl must start with redis:// or rediss://',
    ],
    [{ smtpUrl: 'mail.example.test' }, 'options.smtpUrl is not a valid URL'],
    [{ worker: false }, 'options.worker false needs redisUrl'],
    [{ maxRows: 0 }, 'options.maxRows must be a whole number of at least 1'],
    [{ maxRows: 1.5 }, 'options.maxRows must be a whole number'],
    [{ concurrency: -1 }, 'options.concurrency must be'],
    [{ linkTtlHours: 0 }, 'options.linkTtlHours must be a positive number'],
    [{ queue: { attempts: 0 } }, 'options.queue.attempts must be'],
    [{ queue: { commandTimeoutMs: 0 } }, 'options.queue.commandTimeoutMs must be'],
    [{ queue: { useHostConnection: '' } }, 'options.queue.useHostConnection must be true, false'],
    [
      { redisUrl: 'redis://h:6379', queue: { useHostConnection: true } },
      'options.queue.useHostConnection and redisUrl exclude each other',
    ],
    [
      { rateLimit: { exports: { limit: 0, windowMs: 1000 } } },
      'AuditExportModule: options.rateLimit.exports must be false or { limit, windowMs } with whole numbers of at least 1',
    ],
    [
      { rateLimit: { downloads: { limit: 3, windowMs: 1.5 } } },
      'AuditExportModule: options.rateLimit.downloads must be false or',
    ],
  ])('refuses %j with one clear line', (bad, message) => {
    expect(() => resolveExportOptions({ ...required, ...bad } as never)).toThrow(message);
  });

  it('keeps rate limits given, and false to turn one off', () => {
    expect(
      resolveExportOptions({
        ...required,
        rateLimit: { exports: { limit: 3, windowMs: 60000 }, downloads: false },
      }).rateLimit,
    ).toEqual({ exports: { limit: 3, windowMs: 60000 }, downloads: false, storage: undefined });
  });

  it('accepts an API-only process with Redis', () => {
    const o = resolveExportOptions({
      ...required,
      worker: false,
      redisUrl: 'redis://127.0.0.1:6379/2',
    });
    expect(o).toMatchObject({ worker: false, redisUrl: 'redis://127.0.0.1:6379/2' });
  });

  it("shares the host's BullModule.forRoot() connection, keeping its prefix unless one is given", () => {
    const o = resolveExportOptions({
      ...required,
      worker: false,
      queue: { useHostConnection: 'k' },
    });
    expect(o.queue).toMatchObject({ name: 'auditkit-exports', useHostConnection: 'k' });
    expect(o.queue.prefix).toBeUndefined();
    expect(
      resolveExportOptions({ ...required, queue: { useHostConnection: true, prefix: 'p' } }).queue
        .prefix,
    ).toBe('p');
  });

  it('takes the name forRootAsync() registered, and refuses options that do not fit it', () => {
    const redisUrl = 'redis://127.0.0.1:6379';
    expect(resolveExportOptions({ ...required, redisUrl }, { name: 'q' }).queue.name).toBe('q');
    expect(() => resolveExportOptions(required, { name: 'q' })).toThrow(
      'options.redisUrl or queue.useHostConnection is required: forRootAsync() registered a Bull queue',
    );
    expect(() => resolveExportOptions({ ...required, redisUrl }, false)).toThrow(
      'options.redisUrl must be unset: forRootAsync() was given bullQueue: false',
    );
    expect(() =>
      resolveExportOptions({ ...required, redisUrl, queue: { name: 'other' } }, { name: 'q' }),
    ).toThrow("options.queue.name must be unset or 'q'");
    expect(() =>
      resolveExportOptions({ ...required, queue: { useHostConnection: 'k' } }, { name: 'q' }),
    ).toThrow('options.queue.useHostConnection must match the configKey');
  });

  it('never echoes a secret in its errors', () => {
    try {
      resolveExportOptions({ ...required, redisUrl: 'http://user:s3cret@h:6379' });
    } catch (err) {
      expect((err as Error).message).not.toContain('s3cret');
      return;
    }
    throw new Error('expected an error');
  });
});
