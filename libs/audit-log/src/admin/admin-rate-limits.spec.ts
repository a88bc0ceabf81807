import { DEFAULT_RATE_LIMITS } from '../http/rate-limit';
import { resolveAdminRateLimits } from './admin-rate-limits';

describe('resolveAdminRateLimits', () => {
  it('fills in the defaults: 600 reads and 3000 writes a minute', () => {
    const { limits, storage } = resolveAdminRateLimits({});
    expect(limits).toEqual({
      reads: { limit: 600, windowMs: 60_000, key: expect.any(Function) },
      ingest: { limit: 3000, windowMs: 60_000, key: expect.any(Function) },
    });
    expect(storage).toBeUndefined();
    expect(DEFAULT_RATE_LIMITS).toMatchObject({
      exports: { limit: 10, windowMs: 900_000 },
      downloads: { limit: 30, windowMs: 900_000 },
    });
  });

  it('keeps a limit given and drops one turned off', () => {
    const { limits } = resolveAdminRateLimits({
      rateLimit: { reads: { limit: 5, windowMs: 1000 }, ingest: false },
    });
    expect(limits).toEqual({ reads: { limit: 5, windowMs: 1000, key: expect.any(Function) } });
  });

  it('counts per principal and org of the path', () => {
    const { key } = resolveAdminRateLimits({}).limits.reads!;
    const req = (sub: string, orgId: string) =>
      ({ auditPrincipal: { sub }, params: { orgId } }) as never;
    expect(key(req('u-1', 'acme'))).toBe(key(req('u-1', 'acme')));
    expect(key(req('u-1', 'acme'))).not.toBe(key(req('u-2', 'acme')));
    expect(key(req('u-1', 'acme'))).not.toBe(key(req('u-1', 'globex')));
  });

  it.each([
    [{ limit: 0, windowMs: 1000 }],
    [{ limit: 1.5, windowMs: 1000 }],
    [{ limit: 5, windowMs: -1 }],
    [{ limit: 5 }],
    ['10/15m'],
    [true],
  ])('refuses %j, naming the option', (value) => {
    expect(() => resolveAdminRateLimits({ rateLimit: { reads: value as never } })).toThrow(
      'AuditAdminModule: options.rateLimit.reads must be false or { limit, windowMs } with whole numbers of at least 1 (requests, milliseconds)',
    );
  });
});
