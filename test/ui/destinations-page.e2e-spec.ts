import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import request from 'supertest';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, AuditAdminModule, signAuditToken } from '@auditkit/nestjs/admin';
import { AuditDestinationsModule } from '@auditkit/nestjs/destinations';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { groupCreated } from '../support/events';
import { waitFor } from '../support/wait-for';
import { TestReceiver } from '../destinations/support/receiver';

// The destinations page of the web UI in a real Chromium, against real receivers: one that takes
// everything, one that refuses (paused after failing), one added through the page itself.
// Screenshots go to /tmp/ui-shots (not committed).

const SECRET = 'ui-destinations-secret-ui-destinations-0123';
const HOOK_SECRET = 'whsec-ui-destinations-0123456789';
const SHOTS = '/tmp/ui-shots';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe('destinations page of the web UI in Chromium', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  let token: string;
  let good: TestReceiver;
  let bad: TestReceiver;
  const fileDir = mkdtempSync(join(tmpdir(), 'auditkit-ui-files-'));

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    @Module({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({ jwt: { secret: SECRET }, secret: SECRET }),
        AuditDestinationsModule.forRoot({
          encryptionKey: SECRET,
          pollIntervalMs: 20,
          backoffMinMs: 20,
          backoffMaxMs: 50,
          pauseAfterPermanentFailures: 2,
          fileDirectory: fileDir,
        }),
      ],
    })
    class UiModule {}
    app = await NestFactory.create(UiModule, { bodyParser: false, logger: ['error'] });
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.listen(0, '127.0.0.1');
    base = await app.getUrl();
    base = base.replace('[::1]', '127.0.0.1');
    token = await signAuditToken(
      { sub: 'u-1', name: 'Jane Doe', email: 'jane@acme.test', orgs: { acme: ['org-admin'] } },
      SECRET,
      600,
    );
    good = await TestReceiver.start({ secret: HOOK_SECRET });
    bad = await TestReceiver.start({ secret: HOOK_SECRET });
    bad.behaviour = { kind: 'status', status: 410, body: 'This hook was removed' };
    const audit = app.get(AuditService);
    for (let i = 0; i < 40; i++) await audit.record(groupCreated('acme', `g${i}`));
    const create = (body: object) =>
      request(app.getHttpServer())
        .post('/admin/v1/orgs/acme/destinations')
        .set('Authorization', `Bearer ${token}`)
        .send(body)
        .expect(201);
    await create({
      type: 'webhook',
      name: 'Security data lake',
      url: `${good.url}/in`,
      secret: HOOK_SECRET,
    });
    await create({
      type: 'webhook',
      name: 'Old SIEM',
      url: `${bad.url}/gone`,
      secret: HOOK_SECRET,
    });
    await waitFor('the first delivered, the second paused', async () => {
      const res = await request(app.getHttpServer())
        .get('/admin/v1/orgs/acme/destinations')
        .set('Authorization', `Bearer ${token}`);
      const [a, b] = res.body.data.map(
        (d: { attributes: Record<string, unknown> }) => d.attributes,
      );
      return a.deliveredSeq === 40 && b.state === 'paused';
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
    await good?.stop();
    await bad?.stop();
    await db?.drop();
    rmSync(fileDir, { recursive: true, force: true });
  });

  async function open(): Promise<Page> {
    const context = await browser.newContext({
      viewport: DESKTOP,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    const page = await context.newPage();
    await page.goto(`${base}/#token=${token}`);
    await page.locator('#events-body tr').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'log-header-desktop.png') });
    await page.getByRole('button', { name: 'Destinations' }).click();
    await page.locator('#dest-body tr').first().waitFor();
    return page;
  }

  it('lists each destination with its state, cursor, lag and last error', async () => {
    const page = await open();
    expect(new URL(page.url()).searchParams.get('view')).toBe('destinations');
    const rows = page.locator('#dest-body tr');
    expect(await rows.count()).toBe(2);
    const first = await rows.nth(0).innerText();
    expect(first).toContain('Security data lake');
    expect(first).toContain(`${good.url}/in`);
    expect(first).toMatch(/Active/i);
    expect(first).toContain('seq 40 of 40');
    expect(first).toContain('Up to date');
    const second = await rows.nth(1).innerText();
    expect(second).toMatch(/Paused: kept failing/i);
    expect(second).toContain('seq 0 of 40');
    expect(second).toMatch(/40 events · \d+(\.\d)? s/);
    expect(second).toContain('The webhook answered HTTP 410: This hook was removed (permanent)');
    expect(await rows.nth(1).getByRole('button', { name: 'Resume' }).count()).toBe(1);
    await page.screenshot({ path: join(SHOTS, 'destinations-desktop.png'), fullPage: true });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SHOTS, 'destinations-390.png'), fullPage: true });
    await page.getByRole('button', { name: 'Back to audit log' }).click();
    await page.locator('#events-body tr').first().waitFor();
    await page.screenshot({ path: join(SHOTS, 'log-header-390.png') });
    await page.getByRole('button', { name: 'Destinations' }).click();
    await page.locator('#dest-body tr').first().waitFor();
    // A reload stays on the page.
    await page.reload();
    await page.locator('#dest-body tr').first().waitFor();
    expect(await page.locator('h1').innerText()).toBe('Destinations');
    await page.context().close();
  });

  it('adds a destination through the form, refusing a plain http URL with the field marked', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Add destination' }).click();
    await page.getByLabel('Name').fill('New hook');
    await page.getByLabel('URL').fill('http://siem.example/in');
    await page.getByLabel('Signing secret').fill(HOOK_SECRET);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#dest-form-error').filter({ hasText: /https/ }).waitFor();
    expect(await page.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    await page.screenshot({ path: join(SHOTS, 'destinations-form-desktop.png'), fullPage: true });
    await page.getByLabel('URL').fill(`${good.url}/new`);
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#dest-body tr').nth(2).waitFor();
    expect(await page.locator('#dest-body tr').nth(2).innerText()).toContain('New hook');
    // The secret is nowhere on the page.
    expect(await page.content()).not.toContain(HOOK_SECRET);
    await page.context().close();
  });

  it('adds a file destination, whose form asks for a path only, and the file fills in', async () => {
    const page = await open();
    await page.getByRole('button', { name: 'Add destination' }).click();
    await page.getByLabel('Type').selectOption('file');
    expect(await page.getByLabel('URL').isVisible()).toBe(false);
    expect(await page.getByLabel('Signing secret').isVisible()).toBe(false);
    await page.getByLabel('File path').fill('../outside.ndjson');
    await page.getByRole('button', { name: 'Create' }).click();
    await page
      .locator('#dest-form-error')
      .filter({ hasText: /relative path/ })
      .waitFor();
    expect(await page.getByLabel('File path').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('File path').fill('siem/audit.ndjson');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.locator('#dest-body tr').filter({ hasText: 'file: siem/audit.ndjson' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'destinations-file-desktop.png'), fullPage: true });
    const file = join(fileDir, 'acme', 'siem', 'audit.ndjson');
    await waitFor('40 lines in the file', () => {
      try {
        return readFileSync(file, 'utf8').split('\n').filter(Boolean).length >= 40;
      } catch {
        return false;
      }
    });
    await page.context().close();
  });

  it('resumes the paused destination, which then delivers everything once the receiver takes it', async () => {
    bad.behaviour = { kind: 'status', status: 200 };
    const page = await open();
    await page.locator('#dest-body tr').nth(1).getByRole('button', { name: 'Resume' }).click();
    await waitFor('all 40 at the repaired receiver', () => bad.acked().length >= 40);
    expect(bad.acked()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    await page.context().close();
  });
});
