import { SyslogTransport } from './syslog-transport';

describe('SyslogTransport options', () => {
  it('refuses plain TCP off loopback, and bad values', () => {
    expect(() => new SyslogTransport({ host: 'siem.example.com', tls: false })).toThrow(/tls/);
    expect(() => new SyslogTransport({ host: '127.0.0.1', tls: false })).not.toThrow();
    expect(() => new SyslogTransport({ host: '' })).toThrow(/host/);
    expect(() => new SyslogTransport({ host: 'h', port: 70000 })).toThrow(/port/);
    expect(() => new SyslogTransport({ host: 'h', facility: 24 })).toThrow(/facility/);
    expect(() => new SyslogTransport({ host: 'h', appName: 'a b' })).toThrow(/appName/);
    expect(() => new SyslogTransport({ host: 'h', maxMessageBytes: 100 })).toThrow(
      /maxMessageBytes/,
    );
  });
});
