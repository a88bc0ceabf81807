import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { buildExportReadyMail } from './export-mail';
import { createExportTransport, ExportMailer } from './export-mailer';

const downloadUrl = 'http://localhost:3000/admin/v1/exports/download?token=abc.def';

function readyMail() {
  return buildExportReadyMail({
    to: 'jane@acme.test',
    recipientName: '<script>&"',
    orgId: 'acme',
    orgName: 'Acme & <Co>',
    downloadUrl,
    expiresAt: new Date('2026-11-26T17:04:05.123Z'),
    rowCount: 10000,
    truncated: true,
    maxRows: 10000,
    from: 'AuditKit <no-reply@localhost>',
  });
}

describe('ExportMailer over SMTP', () => {
  let server: SMTPServer;
  let port: number;
  const received: Array<{ raw: Buffer; from: string; to: string[] }> = [];

  beforeAll(async () => {
    server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            raw: Buffer.concat(chunks),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers a mail with both parts, the link and escaped names', async () => {
    const logs: string[] = [];
    const mailer = new ExportMailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      outboxDir: '/nonexistent/never-used',
      logger: { log: (msg) => logs.push(msg) },
    });
    try {
      await mailer.send(readyMail(), { downloadUrl });
    } finally {
      mailer.close();
    }

    expect(received).toHaveLength(1);
    expect(received[0].from).toBe('no-reply@localhost');
    expect(received[0].to).toEqual(['jane@acme.test']);
    const parsed = await simpleParser(received[0].raw);
    expect(parsed.subject).toBe('Your audit log is ready to download');
    expect(parsed.text).toContain(`Download audit log: ${downloadUrl}`);
    expect(parsed.text).toContain('only the newest 10,000 rows were included');
    const html = String(parsed.html);
    expect(html).toContain(`<a href="${downloadUrl}">Download audit log</a>`);
    expect(html).toContain('Hi &lt;script&gt;&amp;&quot;,');
    expect(html).toContain('Acme &amp; &lt;Co&gt;');
    expect(html).not.toContain('<script>');
    expect(parsed.headers.get('auto-submitted')).toBe('auto-generated');

    // SMTP mode logs neither the link nor the recipient.
    expect(logs).toHaveLength(1);
    expect(logs[0]).not.toContain('token=');
    expect(logs[0]).not.toContain('jane@acme.test');
  });

  it.each([
    'victim@x.test, attacker@evil.test',
    ['victim@x.test', 'attacker@evil.test'],
    { name: 'Victim', address: 'victim@x.test, attacker@evil.test' },
    undefined,
  ])('sends nothing to a recipient that is not one address: %j', async (to) => {
    const mailer = new ExportMailer({
      smtpUrl: `smtp://127.0.0.1:${port}`,
      outboxDir: '/nonexistent/never-used',
      logger: { log: () => undefined },
    });
    const before = received.length;
    try {
      await expect(
        mailer.send({ ...readyMail(), to: to as string }, { downloadUrl }),
      ).rejects.toThrow(TypeError);
    } finally {
      mailer.close();
    }
    expect(received).toHaveLength(before);
  });

  it('refuses an SMTP URL of another scheme without echoing it', () => {
    const secretUrl = 'http://user:hunter2@mail.test';
    expect(() => createExportTransport({ smtpUrl: secretUrl, outboxDir: '/tmp' })).toThrow(
      TypeError,
    );
    try {
      createExportTransport({ smtpUrl: secretUrl, outboxDir: '/tmp' });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });
});

describe('ExportMailer with the outbox', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'auditkit-outbox-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes a parseable .eml and logs its path and the link', async () => {
    const outboxDir = join(root, 'data', 'outbox');
    const logs: string[] = [];
    const mailer = new ExportMailer({ outboxDir, logger: { log: (msg) => logs.push(msg) } });
    await mailer.send(readyMail(), { downloadUrl });
    mailer.close();

    const files = await readdir(outboxDir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^[0-9T-]+Z-[0-9a-f]{8}\.eml$/);
    const path = join(outboxDir, files[0]);
    expect((await stat(path)).mode & 0o777).toBe(0o600);

    const parsed = await simpleParser(await readFile(path));
    expect(parsed.subject).toBe('Your audit log is ready to download');
    expect(parsed.text).toContain(`Download audit log: ${downloadUrl}`);
    expect(String(parsed.html)).toContain(`<a href="${downloadUrl}">Download audit log</a>`);
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value[0]).toEqual({ name: '<script>&"', address: 'jane@acme.test' });

    expect(logs).toEqual([`Export e-mail written to ${path}; download link: ${downloadUrl}`]);
  });

  it('reports the file through the transporter', async () => {
    const transporter = createExportTransport({ outboxDir: root });
    const info = await transporter.sendMail({
      from: 'a@b.test',
      to: 'c@d.test',
      subject: 'hi',
      text: 'x',
    });
    transporter.close();
    expect('path' in info && info.path.startsWith(root)).toBe(true);
    expect(await readdir(root)).toHaveLength(1);
  });
});
