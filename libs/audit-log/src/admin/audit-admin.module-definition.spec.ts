import { resolveAuditAdminOptions } from './audit-admin.module-definition';

describe('resolveAuditAdminOptions', () => {
  const jwt = { secret: 'x'.repeat(32) };

  it('fills in the defaults', () => {
    const o = resolveAuditAdminOptions({ jwt });
    expect(o).toMatchObject({ ui: true, maxBodyBytes: 65536, sessionTtlHours: 12 });
    expect(o.clock.now()).toBeInstanceOf(Date);
    expect(o.viewerTokens).toMatchObject({ maxTtlSeconds: 86400, allowedOrigins: [] });
    expect(o.viewerTokens.key).toHaveLength(32);
  });

  it('derives the viewer-token key for that use only, and has none without a secret', () => {
    const o = resolveAuditAdminOptions({ jwt });
    expect(Buffer.from(o.viewerTokens.key!).toString()).not.toContain(jwt.secret);
    const host = resolveAuditAdminOptions({ resolvePrincipal: () => undefined });
    expect(host.viewerTokens.key).toBeUndefined();
  });

  it.each([
    [{}, /give options.jwt \(standalone\) or options.resolvePrincipal/],
    [{ jwt, maxBodyBytes: 0 }, /options.maxBodyBytes must be a whole number of bytes from 1024/],
    [{ jwt, maxBodyBytes: 1.5e9 }, /options.maxBodyBytes/],
    [{ jwt, sessionTtlHours: 0 }, /options.sessionTtlHours/],
    [{ jwt, sessionTtlHours: 1e6 }, /options.sessionTtlHours/],
    [{ jwt, ui: 'yes' }, /options.ui must be true or false/],
    [{ jwt, secret: '' }, /options.secret must be a non-empty string/],
    [{ resolvePrincipal: 'me' }, /options.resolvePrincipal must be a function/],
    [{ jwt, viewerTokens: { maxTtlSeconds: 30 } }, /options.viewerTokens.maxTtlSeconds/],
    [{ jwt, viewerTokens: { maxTtlSeconds: 1e9 } }, /options.viewerTokens.maxTtlSeconds/],
    [{ jwt, viewerTokens: { secret: 'short' } }, /options.viewerTokens.secret/],
    [
      { jwt, viewerTokens: { allowedOrigins: ['https://a.test/path'] } },
      /options.viewerTokens.allowedOrigins/,
    ],
    [{ jwt, viewerTokens: { allowedOrigins: '*' } }, /options.viewerTokens.allowedOrigins/],
    [
      { resolvePrincipal: () => undefined, viewerTokens: {} },
      /options.viewerTokens needs a secret/,
    ],
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => resolveAuditAdminOptions(options as never)).toThrow(message);
  });
});
