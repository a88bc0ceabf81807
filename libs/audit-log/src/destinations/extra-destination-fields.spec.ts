import { ApiException } from '../http/api-error';
import { isLoopbackHost } from './destination-fields';
import { parseFileFields, parseSyslogFields } from './extra-destination-fields';

function pointerOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as ApiException).errors[0].source?.pointer;
  }
  return undefined;
}

describe('syslog and file destination fields', () => {
  it('takes a syslog body with its defaults, and keeps unnamed fields on a change', () => {
    const created = parseSyslogFields({ host: 'siem.example', servername: 'siem.example' });
    expect(created).toEqual({
      config: {
        host: 'siem.example',
        port: 6514,
        servername: 'siem.example',
        appName: 'auditkit',
        facility: 13,
      },
      secrets: {},
    });
    expect(parseSyslogFields({ port: 1514 }, created).config).toMatchObject({
      host: 'siem.example',
      port: 1514,
    });
  });

  it.each([
    [{}, '/host'],
    [{ host: 'bad host!' }, '/host'],
    [{ host: 'h', port: 0 }, '/port'],
    [{ host: 'h', facility: 24 }, '/facility'],
    [{ host: 'h', appName: 'has space' }, '/appName'],
    [{ host: 'h', ca: 'not pem' }, '/ca'],
    [{ host: 'h', key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----' }, '/cert'],
    [{ host: 'h', tls: true }, '/tls'],
  ])('refuses the syslog body %j at %s', (body, pointer) => {
    expect(pointerOf(() => parseSyslogFields(body))).toBe(pointer);
  });

  it('takes a relative file path under the operator directory, never one that leaves it', () => {
    expect(parseFileFields({ path: 'acme/audit.ndjson' })).toEqual({
      config: { path: 'acme/audit.ndjson', maxBytes: 100 * 1024 * 1024, maxFiles: 5 },
      secrets: {},
    });
    for (const path of ['/etc/passwd', '../x', 'a/../../x', 'a/./b', '', 'a b']) {
      expect({ path, pointer: pointerOf(() => parseFileFields({ path })) }).toEqual({
        path,
        pointer: '/path',
      });
    }
    expect(pointerOf(() => parseFileFields({ path: 'a', maxFiles: 0 }))).toBe('/maxFiles');
  });

  it('knows loopback hosts', () => {
    expect(
      ['localhost', '127.0.0.1', '127.9.9.9', '[::1]', 'x.localhost'].every(isLoopbackHost),
    ).toBe(true);
    expect(
      ['10.0.0.1', 'example.com', '[::2]', '128.0.0.1', 'localhost.example.com'].some(
        isLoopbackHost,
      ),
    ).toBe(false);
  });
});
