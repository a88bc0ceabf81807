import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SchedulerRegistry } from '@nestjs/schedule';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { createServer, AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, signAuditToken } from '@auditkit/nestjs/admin';
import { AdminAppModule } from '../../apps/admin/src/admin-app.module';
import { loadConfig } from '../../apps/admin/src/config';
import { createTestDatabase, TestDatabase } from '../support/databases';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const SECRET = 'ui-test-secret-ui-test-secret-ui-test-secret';
const SHOTS = join(__dirname, '..', '.screenshots');

describe('admin web UI in Chromium', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  let dataDir: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    dataDir = join(db.url.slice('sqlite:'.length), '..');
    // E-mailed links point at PUBLIC_URL, so the port is chosen before the app starts.
    const port = await freePort();
    const config = loadConfig({
      DATABASE_URL: db.url,
      AUDITKIT_JWT_SECRET: SECRET,
      AUDITKIT_DATA_DIR: dataDir,
      AUDITKIT_SCHEDULER: 'false',
      PORT: String(port),
      PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    app = await NestFactory.create(AdminAppModule.forConfig(config), {
      bodyParser: false,
      logger: ['error'],
    });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.listen(port, '127.0.0.1');
    base = `http://127.0.0.1:${port}`;
    const audit = app.get(AuditService);
    const now = Date.now();
    const jane = { id: 'u-1', type: 'user', name: 'Jane Doe', email: 'jane@acme.test' };
    for (let i = 0; i < 30; i++) {
      await audit.record({
        orgId: 'acme',
        action: i % 2 ? 'user_added_to_group' : 'group_created',
        actor: jane,
        targets:
          i % 2
            ? [
                {
                  id: `u-${i}`,
                  type: 'user',
                  name: i === 29 ? '=HYPERLINK("http://x","<b>click</b>")' : `User ${i}`,
                  email: `u${i}@acme.test`,
                },
                { id: 'g-1', type: 'group', name: 'jira-admins' },
              ]
            : [{ id: `g-${i}`, type: 'group', name: `group-${i}` }],
        site: { id: 's-1', name: 'acme.atlassian.test' },
        product: 'jira',
        location: { ip: '203.0.113.7', userAgent: 'Mozilla/5.0' },
        time: now - (30 - i) * 3600_000,
      });
    }
    await audit.record({
      orgId: 'acme',
      action: 'policy_created',
      actor: { id: 'u-2', type: 'user', name: 'Bob Li' },
      targets: [{ id: 'p-1', type: 'policy', name: 'Two-step' }],
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await db?.drop();
  });

  async function signedIn(orgs: Record<string, string[]>): Promise<Page> {
    const token = await signAuditToken(
      { sub: 'u-1', name: 'Jane Doe', email: 'jane@acme.test', orgs },
      SECRET,
      600,
    );
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${base}/#token=${token}`);
    return page;
  }

  it('runs one scheduler: retention and export cleanup are each registered once (checkpoints keep their own timer)', () => {
    const jobs = [...app.get(SchedulerRegistry).getCronJobs().keys()].sort();
    expect(jobs).toEqual(['auditkit-export-cleanup', 'auditkit-retention']);
  });

  it('shows the newest activity first with Date, Actor, Action columns', async () => {
    const page = await signedIn({ acme: ['org-admin'] });
    const headers = page.locator('table thead th');
    await headers.first().waitFor();
    expect((await headers.allTextContents()).slice(0, 3)).toEqual(['Date', 'Actor', 'Action']);
    const firstRow = page.locator('table tbody tr').first();
    await expect(firstRow.textContent()).resolves.toContain('Bob Li created the policy Two-step');
    // The token left the address bar once it became a session cookie.
    expect(page.url()).not.toContain('token=');
    await page.screenshot({ path: join(SHOTS, 'events.png'), fullPage: true });
    await page.close();
  });

  it('searches an exact term and filters by activity', async () => {
    const page = await signedIn({ acme: ['org-admin'] });
    await page.getByLabel('Search').fill('user 3');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(
      () =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('table tbody tr.event-row, table tbody tr[data-id]')
          .length === 1,
    );
    await expect(page.locator('table tbody').textContent()).resolves.toContain(
      'Jane Doe added User 3 to jira-admins',
    );

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Activity').selectOption('policy_created');
    await page.getByRole('button', { name: 'Apply' }).click();
    // The table empties while the filtered page loads: wait for its rows, not for the old ones
    // to go.
    await page.waitForFunction(() => {
      const root = document.querySelector('auditkit-log')!.shadowRoot!;
      const rows = root.querySelector('table tbody')?.textContent ?? '';
      return rows.includes('Two-step') && !root.textContent!.includes('group-0');
    });
    await expect(page.locator('table tbody').textContent()).resolves.toContain('Two-step');
    await page.screenshot({ path: join(SHOTS, 'filtered.png'), fullPage: true });
    await page.close();
  });

  it('keeps hostile names as text', async () => {
    const page = await signedIn({ acme: ['org-admin'] });
    await page.getByLabel('Search').fill('=HYPERLINK("http://x","<b>click</b>")');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('=HYPERLINK("http://x","<b>click</b>")').first().waitFor();
    expect(await page.locator('tbody b').count()).toBe(0);
    await page.close();
  });

  it('exports the filtered log: the dialog queues it and the e-mail carries a working link', async () => {
    const page = await signedIn({ acme: ['org-admin'] });
    await page.getByLabel('Search').fill('jira-admins');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('button', { name: 'Export log' }).click();
    await page.getByRole('button', { name: 'Export', exact: true }).click();
    await page.getByText("Export queued. We'll e-mail a link to jane@acme.test").waitFor();
    await page.getByText(/Status: Ready — 15 activities exported/).waitFor({ timeout: 20000 });
    // The dialog's recent exports list it, mailed, with its rows.
    await page
      .locator('#export-recent-list li')
      .filter({ hasText: /Mailed · 15 rows/ })
      .waitFor();
    await page.screenshot({ path: join(SHOTS, 'export.png') });
    await page.close();

    const outbox = join(dataDir, 'outbox');
    const [file] = readdirSync(outbox).filter((f) => f.endsWith('.eml'));
    const mail = await simpleParser(readFileSync(join(outbox, file)));
    expect(mail.subject).toBe('Your audit log is ready to download');
    expect(mail.to && 'text' in mail.to ? mail.to.text : '').toContain('jane@acme.test');
    const link = /Download audit log: (\S+)/.exec(mail.text ?? '')![1];
    expect(mail.html).toContain('>Download audit log</a>');
    const res = await fetch(link);
    expect(res.status).toBe(200);
    const csv = await res.text();
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe(
      'Date,Actor,Actor email,Action,Action key,Category,Targets,Site,Product,IP address,Outcome,Event ID',
    );
    expect(lines).toHaveLength(16);
    // The formula-looking name is neutralised in the file, everything else kept.
    expect(csv).toContain(`"'=HYPERLINK(""http://x"",""<b>click</b>"")`);
  });

  it('turns away a user who is not an org admin', async () => {
    const page = await signedIn({ acme: ['site-admin'] });
    await page.getByText('You need to be an organization admin to view the audit log.').waitFor();
    expect(await page.locator('table').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'not-admin.png') });
    await page.close();
  });
});
