import { resolveAuditAdminOptions } from './audit-admin.module-definition';

describe('resolveAuditAdminOptions', () => {
  const jwt = { secret: 'x'.repeat(32) };

  it('fills in the defaults', () => {
    const o = resolveAuditAdminOptions({ jwt });
    expect(o).toMatchObject({ ui: true, maxBodyBytes: 65536, sessionTtlHours: 12 });
    expect(o.clock.now()).toBeInstanceOf(Date);
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
  ])('refuses %j, naming the option', (options, message) => {
    expect(() => resolveAuditAdminOptions(options as never)).toThrow(message);
  });
});
