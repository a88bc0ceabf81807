import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { ApiExceptionFilter, AuditService, signAuditToken } from '@auditkit/nestjs';
import { AdminAppModule } from '../../apps/admin/src/admin-app.module';
import { loadConfig } from '../../apps/admin/src/config';
import { createTestDatabase, TestDatabase } from '../support/databases';

const SECRET = 'ui-test-secret-ui-test-secret-ui-test-secret';
const SHOTS = join(__dirname, '..', '.screenshots');

describe('admin web UI in Chromium', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    const config = loadConfig({
      DATABASE_URL: db.url,
      AUDITKIT_JWT_SECRET: SECRET,
      AUDITKIT_DATA_DIR: join(db.url.slice('sqlite:'.length), '..'),
      AUDITKIT_SCHEDULER: 'false',
    });
    app = await NestFactory.create(AdminAppModule.forConfig(config), {
      bodyParser: false,
      logger: ['error'],
    });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
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
        document.querySelectorAll('table tbody tr.event-row, table tbody tr[data-id]').length === 1,
    );
    await expect(page.locator('table tbody').textContent()).resolves.toContain(
      'Jane Doe added User 3 to jira-admins',
    );

    await page.getByLabel('Search').fill('');
    await page.getByLabel('Activity').selectOption('policy_created');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForFunction(() => !document.body.textContent!.includes('group-0'));
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

  it('turns away a user who is not an org admin', async () => {
    const page = await signedIn({ acme: ['site-admin'] });
    await page.getByText('Only organization admins can view the audit log.').waitFor();
    expect(await page.locator('table').count()).toBe(0);
    await page.screenshot({ path: join(SHOTS, 'not-admin.png') });
    await page.close();
  });
});
