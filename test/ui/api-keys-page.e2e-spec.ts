import { INestApplication } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser } from 'playwright-core';
import request from 'supertest';
import { AuditService } from '@auditkit/nestjs';
import { startUiApp, UiApp } from './support/ui-app';
import { groupCreated } from '../support/events';

// The API keys page of the web UI in a real Chromium (#14): an org admin creates a key there and
// copies its secret, shown once; an integration reads with it; the admin revokes it there, and
// the integration is refused at once. Screenshots go to /tmp/ui-shots (not committed).

const SECRET = 'ui-api-keys-secret-ui-api-keys-0123456789';
const SHOTS = '/tmp/ui-shots';
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

describe('API keys page of the web UI in Chromium', () => {
  let ui: UiApp;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  let token: string;

  beforeAll(async () => {
    ui = await startUiApp(SECRET);
    ({ app, base, browser } = ui);
    token = await ui.token({ acme: ['org-admin'] });
    const audit = app.get(AuditService);
    for (let i = 0; i < 5; i++) await audit.record(groupCreated('acme', `g${i}`));
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await ui?.close();
  });

  it('creates a key shown once, which an integration uses, and revokes it at once', async () => {
    const context = await browser.newContext({
      viewport: DESKTOP,
      locale: 'en-US',
      timezoneId: 'UTC',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${base}/#token=${token}`);
    await page.locator('#events-body tr').first().waitFor();
    await page.getByRole('button', { name: 'API keys' }).click();
    await page.locator('#keys-empty').waitFor();
    expect(new URL(page.url()).searchParams.get('view')).toBe('api-keys');

    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByLabel('Name').fill('siem');
    await page.getByLabel('Expires in').selectOption('90');
    await page.getByLabel('Export (mailed to you)').check();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.locator('#key-secret-box').waitFor();
    const secret = await page.getByLabel('New API key').inputValue();
    expect(secret).toMatch(/^ak_[0-9A-Z]{26}_[A-Za-z0-9_-]{43}$/);
    const row = page.locator('#keys-body tr').first();
    const text = await row.innerText();
    expect(text).toContain('siem');
    expect(text).toContain('Read events, Export');
    expect(text).toMatch(/Active/i);
    expect(text).toContain('by Jane Doe');
    await page.screenshot({ path: join(SHOTS, 'api-keys-created-desktop.png'), fullPage: true });

    // The integration: the key reads its org's events.
    const read = await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${secret}`)
      .expect(200);
    expect(read.body.data).toHaveLength(6);

    // Reloaded, the page lists the key with its last use, and never the secret again.
    await page.reload();
    await page.locator('#keys-body tr').first().waitFor();
    expect(await page.locator('#keys-body tr').first().innerText()).not.toMatch(
      /Last used\s*Never/,
    );
    expect(await page.content()).not.toContain(secret.slice(-43));
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: join(SHOTS, 'api-keys-390.png'), fullPage: true });
    await page.setViewportSize(DESKTOP);

    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Revoke siem' }).click();
    await page.locator('#keys-body tr').filter({ hasText: 'Revoked' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'api-keys-revoked-desktop.png'), fullPage: true });
    await request(app.getHttpServer())
      .get('/admin/v1/orgs/acme/events')
      .set('Authorization', `Bearer ${secret}`)
      .expect(401);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('names what is wrong with a key it cannot create', async () => {
    const context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${base}/?view=api-keys#token=${token}`);
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.getByLabel('Read events').uncheck();
    await page.getByLabel('Name').fill('nothing');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.locator('#key-form-error').filter({ hasText: /scope/ }).waitFor();
    await context.close();
  });
});
