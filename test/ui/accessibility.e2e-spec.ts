import { INestApplication } from '@nestjs/common';
import { Browser, Page } from 'playwright-core';
import { AuditService } from '@auditkit/nestjs';
import { startUiApp, UiApp } from './support/ui-app';
import { groupCreated } from '../support/events';
import { seriousViolations } from './support/axe';

// axe-core in Chromium over each state of the web UI (#13): sign-in, the log, an open detail,
// the export dialog, an empty result, an error, the API keys page; none may have a serious or
// critical violation. Then the log used with the keyboard alone: search, paging, a detail, the
// export dialog.

const SECRET = 'ui-a11y-secret-ui-a11y-secret-0123456789';

describe('accessibility of the web UI (axe-core in Chromium) and keyboard-only use', () => {
  let ui: UiApp;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  let token: string;

  beforeAll(async () => {
    ui = await startUiApp(SECRET);
    ({ app, base, browser } = ui);
    token = await ui.token({ acme: ['org-admin'], empty: ['org-admin'] });
    const audit = app.get(AuditService);
    for (let i = 0; i < 120; i++) await audit.record(groupCreated('acme', `group-${i}`));
  });

  afterAll(async () => {
    await ui?.close();
  });

  async function open(path = ''): Promise<Page> {
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(`${base}/${path}#token=${token}`);
    return page;
  }

  it('has no serious or critical violation in any state', async () => {
    const found: Record<string, string[]> = {};
    const signIn = await (await browser.newContext({ bypassCSP: true })).newPage();
    await signIn.goto(`${base}/`);
    await signIn.locator('#signin-form').waitFor();
    found['sign-in'] = await seriousViolations(signIn);
    await signIn.context().close();

    const page = await open('?org=acme');
    await page.locator('#events-body tr.event-row').first().waitFor();
    found.log = await seriousViolations(page);
    await page.locator('#events-body tr.event-row').first().click();
    await page.locator('.detail-panel').first().waitFor();
    found.detail = await seriousViolations(page);
    await page.getByRole('button', { name: 'Export log' }).click();
    await page.locator('#export-dialog[open]').waitFor();
    found['export dialog'] = await seriousViolations(page);
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'API keys' }).click();
    await page.locator('#keys-empty').waitFor();
    found['api keys'] = await seriousViolations(page);
    await page.context().close();

    const empty = await open('?org=empty');
    await empty.locator('#events-empty').waitFor();
    found.empty = await seriousViolations(empty);
    await empty.context().close();

    // An error: the events request answers 503, as during an outage.
    const failing = await (await browser.newContext({ bypassCSP: true })).newPage();
    await failing.route('**/events?**', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        headers: { 'Retry-After': '5' },
        body: JSON.stringify({ errors: [{ status: '503', title: 'Service unavailable' }] }),
      }),
    );
    await failing.goto(`${base}/?org=acme#token=${token}`);
    await failing.locator('#log-error').filter({ hasText: /./ }).waitFor();
    found.error = await seriousViolations(failing);
    await failing.context().close();

    expect(found).toEqual({
      'sign-in': [],
      log: [],
      detail: [],
      'export dialog': [],
      'api keys': [],
      empty: [],
      error: [],
    });
  });

  it('searches, pages, opens a detail and the export dialog with the keyboard alone', async () => {
    const page = await open('?org=acme');
    await page.locator('#events-body tr.event-row').first().waitFor();
    // Search: focus the field, type, Enter submits.
    await page.locator('#f-q').focus();
    await page.keyboard.type('group-7');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#events-body tr.event-row').length === 1,
    );
    expect(new URL(page.url()).searchParams.get('q')).toBe('group-7');
    // Back to everything, then page with "Load more" reached by Tab.
    await page.locator('#f-q').fill('');
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      () =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#events-body tr.event-row').length > 1,
    );
    const before = await page.locator('#events-body tr.event-row').count();
    await page.locator('#load-more').focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(
      (n) =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#events-body tr.event-row').length > n,
      before,
    );
    // A detail: Tab lands on a row's date, Enter and Space open and close it.
    const toggle = page.locator('#events-body tr.event-row .row-toggle').first();
    await toggle.focus();
    await page.keyboard.press('Enter');
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.locator('.detail-panel').first().waitFor();
    await page.keyboard.press('Space');
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await page.keyboard.press('Tab');
    expect(
      await page.evaluate(
        () => document.querySelector('auditkit-log')!.shadowRoot!.activeElement?.className,
      ),
    ).toBe('row-toggle');
    // The export dialog: opened with Enter, closed with Escape, focus back on its button.
    await page.getByRole('button', { name: 'Export log' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('#export-dialog[open]').waitFor();
    await page.keyboard.press('Escape');
    await page.waitForFunction(
      () =>
        !document.querySelector('auditkit-log')!.shadowRoot!.querySelector('#export-dialog[open]'),
    );
    expect(
      await page.evaluate(
        () => document.querySelector('auditkit-log')!.shadowRoot!.activeElement?.id,
      ),
    ).toBe('export-open');
    await page.context().close();
  });

  it('shows every part of a row at 390 px wide without scrolling sideways', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${base}/?org=acme#token=${token}`);
    const row = page.locator('#events-body tr.event-row').first();
    await row.waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    for (const cell of ['.cell-date', '.cell-actor', '.cell-action', '.cell-details']) {
      const box = await row.locator(cell).boundingBox();
      expect(box).not.toBeNull();
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    await context.close();
  });
});
