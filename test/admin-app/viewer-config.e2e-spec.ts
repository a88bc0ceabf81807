import { ConfigError } from '../../apps/admin/src/env';
import { loadViewerConfig, loadViewerOrigins } from '../../apps/admin/src/viewer-config';

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

  it('reads AUDITKIT_VIEWER_ALLOWED_ORIGINS, comma-separated, and none when unset or blank', () => {
    expect(loadViewerOrigins({})).toEqual([]);
    expect(loadViewerOrigins({ AUDITKIT_VIEWER_ALLOWED_ORIGINS: ' ' })).toEqual([]);
    expect(
      loadViewerOrigins({
        AUDITKIT_VIEWER_ALLOWED_ORIGINS:
          'https://app.example.com, http://localhost:3002,http://[::1]:8080',
      }),
    ).toEqual(['https://app.example.com', 'http://localhost:3002', 'http://[::1]:8080']);
  });

  it.each([
    'https://app.example.com/',
    'app.example.com',
    'https://app.example.com/path',
    'ftp://app.example.com',
    'https://app.example.com,,https://b.example.com',
    '*',
  ])('refuses AUDITKIT_VIEWER_ALLOWED_ORIGINS=%j, naming the variable', (value) => {
    const env = { AUDITKIT_VIEWER_ALLOWED_ORIGINS: value };
    expect(() => loadViewerOrigins(env)).toThrow(ConfigError);
    expect(() => loadViewerOrigins(env)).toThrow(/^AUDITKIT_VIEWER_ALLOWED_ORIGINS has "/);
  });
});
