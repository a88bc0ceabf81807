import { DEFAULT_RATE_LIMITS, tokenOf } from '../http/rate-limit';
import { resolveAdminRateLimits } from './admin-rate-limits';

describe('resolveAdminRateLimits', () => {
  it('fills in the defaults: 600 reads and 3000 writes a minute, 100 polls a minute per token', () => {
    const { limits, perToken, storage } = resolveAdminRateLimits({});
    expect(limits).toEqual({
      reads: { limit: 600, windowMs: 60_000, key: expect.any(Function) },
      stream: { limit: 600, windowMs: 60_000, key: expect.any(Function) },
      ingest: { limit: 3000, windowMs: 60_000, key: expect.any(Function) },
    });
    // GET events is not limited per token unless configured (Atlassian's 10 a minute would
    // break v1 clients); the stream is.
    expect(perToken).toEqual({ stream: { limit: 100, windowMs: 60_000 } });
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
    expect(limits).toEqual({
      reads: { limit: 5, windowMs: 1000, key: expect.any(Function) },
      stream: { limit: 5, windowMs: 1000, key: expect.any(Function) },
    });
  });

  it('takes per-token limits for both read routes, and turns them off', () => {
    expect(
      resolveAdminRateLimits({
        rateLimit: { perToken: { events: { limit: 10, windowMs: 60_000 }, stream: false } },
      }).perToken,
    ).toEqual({ reads: { limit: 10, windowMs: 60_000 } });
    expect(() =>
      resolveAdminRateLimits({ rateLimit: { perToken: { stream: { limit: 0 } as never } } }),
    ).toThrow('AuditAdminModule: options.rateLimit.perToken.stream must be false or');
  });

  it('counts per bearer token, and not a request without one', () => {
    const req = (authorization?: string) => ({ headers: { authorization } }) as never;
    expect(tokenOf(req('Bearer abc'))).toBe(tokenOf(req('bearer  abc ')));
    expect(tokenOf(req('Bearer abc'))).not.toBe(tokenOf(req('Bearer abd')));
    expect(tokenOf(req('Bearer abc'))).not.toContain('abc');
    expect(tokenOf(req())).toBeUndefined();
    expect(tokenOf(req('Basic abc'))).toBeUndefined();
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
