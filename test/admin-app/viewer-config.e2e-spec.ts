import { ConfigError } from '../../apps/admin/src/env';
import { loadViewerConfig } from '../../apps/admin/src/viewer-config';

describe('the admin app: the web UI’s target links and columns', () => {
  it('reads AUDITKIT_VIEWER_TARGET_LINKS and AUDITKIT_VIEWER_COLUMNS, and nothing when unset', () => {
    expect(loadViewerConfig({})).toEqual({});
    expect(
      loadViewerConfig({
        AUDITKIT_VIEWER_TARGET_LINKS: '{"user":"https://directory.example.com/users/{id}"}',
        AUDITKIT_VIEWER_COLUMNS: 'targets, ip,outcome',
      }),
    ).toEqual({
      targetLinks: { user: 'https://directory.example.com/users/{id}' },
      columns: ['targets', 'ip', 'outcome'],
    });
  });

  it.each([
    [
      { AUDITKIT_VIEWER_TARGET_LINKS: '/users/{id}' },
      /AUDITKIT_VIEWER_TARGET_LINKS must be a JSON object/,
    ],
    [
      { AUDITKIT_VIEWER_TARGET_LINKS: '["/users/{id}"]' },
      /AUDITKIT_VIEWER_TARGET_LINKS must be a JSON object/,
    ],
    [
      { AUDITKIT_VIEWER_TARGET_LINKS: '{"user":1}' },
      /AUDITKIT_VIEWER_TARGET_LINKS must be a JSON object/,
    ],
    [
      { AUDITKIT_VIEWER_COLUMNS: 'ip,password' },
      /AUDITKIT_VIEWER_COLUMNS has the unknown column "password"/,
    ],
  ])('refuses %j, naming the variable', (env, message) => {
    expect(() => loadViewerConfig(env)).toThrow(ConfigError);
    expect(() => loadViewerConfig(env)).toThrow(message);
  });
});
