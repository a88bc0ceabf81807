import { resolveAuditAdminOptions } from '../audit-admin.module-definition';
import { resolveViewerOptions } from './viewer-options';

describe('resolveViewerOptions', () => {
  it('defaults to no links and no extra columns', () => {
    expect(resolveViewerOptions(undefined)).toEqual({ targetLinks: {}, columns: [] });
    expect(resolveViewerOptions({})).toEqual({ targetLinks: {}, columns: [] });
  });

  it('keeps http(s) and root-relative templates and known columns, in order', () => {
    const viewer = {
      targetLinks: {
        user: '/admin/users/{id}?org={org}',
        group: 'https://groups.example.com/{org}/{type}/{id}#top',
        site: 'http://localhost:3000/sites/{id}',
      },
      columns: ['outcome' as const, 'ip' as const, 'targets' as const],
    };
    expect(resolveViewerOptions(viewer)).toEqual(viewer);
  });

  it.each([
    [
      { targetLinks: { user: 'javascript:alert({id})' } },
      /targetLinks.user must be an absolute http\(s\) URL or a path starting with "\/"/,
    ],
    [{ targetLinks: { user: 'JavaScript:alert(1)' } }, /absolute http\(s\) URL/],
    [{ targetLinks: { user: 'data:text/html,{id}' } }, /absolute http\(s\) URL/],
    [{ targetLinks: { user: 'ftp://example.com/{id}' } }, /absolute http\(s\) URL/],
    [{ targetLinks: { user: '//evil.example/{id}' } }, /absolute http\(s\) URL/],
    [{ targetLinks: { user: 'users/{id}' } }, /absolute http\(s\) URL/],
    [{ targetLinks: { user: '/\\evil.example/{id}' } }, /backslashes/],
    [{ targetLinks: { user: ' /users/{id}' } }, /spaces/],
    [{ targetLinks: { user: '/users/{id}\u0000' } }, /control characters/],
    [{ targetLinks: { user: 'https://{id}.example.com/' } }, /not the host/],
    [
      { targetLinks: { user: '/users/{name}' } },
      /placeholder \{name\}; only \{id\}, \{type\} and \{org\}/,
    ],
    [{ targetLinks: { user: '/users/{ID}' } }, /placeholder \{ID\}/],
    [{ targetLinks: { user: '/users/{id' } }, /"\{" or "\}" that is not part of/],
    [{ targetLinks: { user: '' } }, /targetLinks.user must be a URL template/],
    [{ targetLinks: { user: 42 } }, /targetLinks.user must be a URL template/],
    [{ targetLinks: { 'bad type': '/x/{id}' } }, /target type "bad type"/],
    [{ targetLinks: ['/x'] }, /targetLinks must be an object/],
    [{ columns: ['ip', 'password'] }, /unknown column "password"; choose from targets, category/],
    [{ columns: ['ip', 'ip'] }, /lists "ip" twice/],
    [{ columns: 'ip' }, /columns must be a list/],
    ['yes', /options.viewer must be an object/],
  ])('refuses %j, naming the option', (viewer, message) => {
    expect(() => resolveViewerOptions(viewer as never)).toThrow(message);
  });

  it('keeps a type named __proto__ as a type', () => {
    const links = resolveViewerOptions(
      JSON.parse('{"targetLinks":{"__proto__":"/p/{id}"}}'),
    ).targetLinks;
    expect(Object.getOwnPropertyNames(links)).toEqual(['__proto__']);
  });

  it('stops the admin plugin at start, with the module name', () => {
    expect(() =>
      resolveAuditAdminOptions({
        jwt: { secret: 'x'.repeat(32) },
        viewer: { targetLinks: { user: 'javascript:alert(1)' } },
      }),
    ).toThrow(/^AuditAdminModule: options.viewer.targetLinks.user must be/);
  });
});
