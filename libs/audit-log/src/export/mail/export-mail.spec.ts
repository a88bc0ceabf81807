import {
  buildExportFailedMail,
  buildExportReadyMail,
  escapeHtml,
  EXPORT_FAILED_SUBJECT,
  EXPORT_READY_SUBJECT,
  MANIFEST_LINK_LABEL,
} from './export-mail';

const base = {
  to: 'jane@acme.test',
  recipientName: 'Jane Doe',
  orgId: 'acme',
  downloadUrl: 'https://audit.example.test/admin/v1/exports/download?token=abc.def&x=1',
  expiresAt: new Date('2026-11-26T17:04:05.123Z'),
  rowCount: 1042,
  truncated: false,
  maxRows: 10000,
  from: 'AuditKit <no-reply@localhost>',
};

describe('buildExportReadyMail', () => {
  it('has the subject, both parts, the link and the expiry', () => {
    const mail = buildExportReadyMail(base);
    expect(mail.subject).toBe(EXPORT_READY_SUBJECT);
    expect(mail.subject).toBe('Your audit log is ready to download');
    expect(mail.to).toEqual({ name: 'Jane Doe', address: 'jane@acme.test' });
    expect(mail.from).toBe(base.from);
    expect(mail.text).toContain(`Download audit log: ${base.downloadUrl}`);
    expect(mail.text).toContain('2026-11-26 17:04 UTC');
    expect(mail.text).toContain('1,042 events');
    expect(mail.html).toContain(
      '<a href="https://audit.example.test/admin/v1/exports/download?token=abc.def&amp;x=1">Download audit log</a>',
    );
    expect(mail.html).toContain('2026-11-26 17:04 UTC');
    expect(mail.text).not.toContain('newest 10,000');
  });

  it('links the manifest in both parts, after the unchanged download link', () => {
    const manifestUrl = `${base.downloadUrl}&file=manifest`;
    const mail = buildExportReadyMail({ ...base, manifestUrl });
    expect(MANIFEST_LINK_LABEL).toBe('Download manifest');
    const text = String(mail.text);
    expect(text).toContain(`Download audit log: ${base.downloadUrl}\n`);
    expect(text).toContain(`Download manifest: ${manifestUrl}\n`);
    expect(text.indexOf('Download manifest')).toBeGreaterThan(text.indexOf('Download audit log'));
    expect(mail.html).toContain(
      '<a href="https://audit.example.test/admin/v1/exports/download?token=abc.def&amp;x=1">Download audit log</a>',
    );
    expect(mail.html).toContain(
      '<a href="https://audit.example.test/admin/v1/exports/download?token=abc.def&amp;x=1&amp;file=manifest">Download manifest</a>',
    );
    expect(buildExportReadyMail(base).text).not.toContain('manifest');
    expect(() => buildExportReadyMail({ ...base, manifestUrl: 'javascript:alert(1)' })).toThrow(
      TypeError,
    );
  });

  it('says when only the newest rows were included', () => {
    const mail = buildExportReadyMail({ ...base, rowCount: 10000, truncated: true });
    expect(mail.text).toContain('only the newest 10,000 rows were included');
    expect(mail.text).toContain('Narrow the filters');
    expect(mail.html).toContain('only the newest 10,000 rows were included');
  });

  it('says when no events matched', () => {
    const mail = buildExportReadyMail({ ...base, rowCount: 0 });
    expect(mail.text).toContain('No events matched your filters');
  });

  it('escapes names and orgs in the HTML part', () => {
    const mail = buildExportReadyMail({
      ...base,
      recipientName: '<script>&"',
      orgId: 'org-1',
      orgName: '<b>Acme</b> & "Co"',
    });
    const html = String(mail.html);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>Acme');
    expect(html).toContain('Hi &lt;script&gt;&amp;&quot;,');
    expect(html).toContain('&lt;b&gt;Acme&lt;/b&gt; &amp; &quot;Co&quot;');
    expect(mail.text).toContain('Hi <script>&",');
  });

  it('greets without a name, still addressing one recipient object', () => {
    const mail = buildExportReadyMail({ ...base, recipientName: undefined });
    // An object: nodemailer never parses a list or a display name out of it.
    expect(mail.to).toEqual({ name: '', address: 'jane@acme.test' });
    expect(mail.text).toMatch(/^Hello,/);
  });

  it.each([
    'victim@x.test, attacker@evil.test',
    'Victim <victim@x.test>',
    'victim@x.test\r\nBcc: attacker@evil.test',
    '"victim@x.test, attacker"@evil.test',
  ])('refuses the recipient %j without echoing it', (to) => {
    for (const build of [
      () => buildExportReadyMail({ ...base, to }),
      () => buildExportFailedMail({ ...base, to }),
    ]) {
      expect(build).toThrow(TypeError);
      expect(build).not.toThrow(/evil/);
    }
  });

  it('keeps the name on one line in the greeting and the To header', () => {
    const recipientName = 'Jane\r\n\r\nDownload audit log: http://evil.test/phish\n';
    for (const mail of [
      buildExportReadyMail({ ...base, recipientName }),
      buildExportFailedMail({ ...base, recipientName }),
    ]) {
      const lines = String(mail.text).split('\n');
      expect(lines.some((l) => l.startsWith('Download audit log: http://evil.test'))).toBe(false);
      expect(lines[0]).toBe('Hi Jane Download audit log: http://evil.test/phish,');
      expect(String(mail.html)).not.toMatch(/Jane\s*\n/);
      expect(mail.to).toEqual({
        name: 'Jane Download audit log: http://evil.test/phish',
        address: 'jane@acme.test',
      });
    }
  });

  it.each(['javascript:alert(1)', 'not a url', '/relative/path', 'data:text/html,x'])(
    'refuses the download URL %j',
    (downloadUrl) => {
      expect(() => buildExportReadyMail({ ...base, downloadUrl })).toThrow(TypeError);
    },
  );
});

describe('buildExportFailedMail', () => {
  it('has the subject and both parts, escaped', () => {
    const mail = buildExportFailedMail({
      to: 'jane@acme.test',
      recipientName: '<script>&"',
      orgId: 'acme',
      from: 'AuditKit <no-reply@localhost>',
      retryUrl: 'https://audit.example.test/?a=1&b=2',
      reason: 'The <export> took too long',
    });
    expect(mail.subject).toBe(EXPORT_FAILED_SUBJECT);
    expect(mail.subject).toBe('Your audit log export failed');
    expect(mail.text).toContain('could not be created');
    expect(mail.text).toContain('Export again: https://audit.example.test/?a=1&b=2');
    expect(mail.html).toContain(
      '<a href="https://audit.example.test/?a=1&amp;b=2">Export again</a>',
    );
    expect(mail.html).toContain('Reason: The &lt;export&gt; took too long');
    expect(mail.html).not.toContain('<script>');
  });

  it('leaves out the optional parts', () => {
    const mail = buildExportFailedMail({ to: 'a@b.test', orgId: 'acme', from: 'x@y.test' });
    expect(mail.text).not.toContain('Reason');
    expect(mail.text).not.toContain('Export again:');
  });
});

describe('escapeHtml', () => {
  it('escapes the five special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });
});
