import { INestApplication } from '@nestjs/common';
import { Browser, Page } from 'playwright-core';
import { AuditService } from '@auditkit/nestjs';
import { startUiApp, UiApp } from './support/ui-app';

// The log's relative ranges and its click-to-filter (#13): "Last 7 days" counts back from now;
// "Filter" beside an actor, a target or an IP in a detail narrows the log to it, and a chip
// takes an actor or IP filter away again.

const SECRET = 'ui-filters-secret-ui-filters-secret-0123';
const DAY = 86_400_000;

describe('relative ranges and click-to-filter in the web UI', () => {
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
    const now = Date.now();
    // Old: 20 days ago, by Ada from 198.51.100.9; recent: by Jane and Bob from 203.0.113.7.
    await audit.record({
      orgId: 'acme',
      action: 'group_created',
      time: new Date(now - 20 * DAY),
      actor: { id: 'u-ada', name: 'Ada Lovelace' },
      targets: [{ id: 'g-old', type: 'group', name: 'old-group' }],
      location: { ip: '198.51.100.9' },
    });
    for (const [actor, name, group] of [
      ['u-jane', 'Jane Doe', 'jira-admins'],
      ['u-bob', 'Bob Li', 'confluence-users'],
      ['u-jane', 'Jane Doe', 'confluence-users'],
    ])
      await audit.record({
        orgId: 'acme',
        action: 'group_created',
        time: new Date(now - DAY),
        actor: { id: actor, name },
        targets: [{ id: `g-${group}`, type: 'group', name: group }],
        location: { ip: '203.0.113.7' },
      });
  });

  afterAll(async () => {
    await ui?.close();
  });

  const actors = (page: Page) =>
    page.locator('#events-body tr.event-row .actor-name').allInnerTexts();
  const waitRows = (page: Page, n: number) =>
    page.waitForFunction(
      (count) =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#events-body tr.event-row').length === count,
      n,
    );

  it('narrows to the last 7 days, and the range survives a reload', async () => {
    const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await page.goto(`${base}/#token=${token}`);
    await waitRows(page, 4);
    await page.getByLabel('Range').selectOption('7d');
    await page.getByRole('button', { name: 'Apply' }).click();
    await waitRows(page, 3);
    expect(new URL(page.url()).searchParams.get('range')).toBe('7d');
    await page.reload();
    await waitRows(page, 3);
    expect(await page.getByLabel('Range').inputValue()).toBe('7d');
    await page.context().close();
  });

  it('filters by an actor, an IP and a target from a detail; a chip takes a filter away', async () => {
    const page = await (await browser.newContext({ locale: 'en-US' })).newPage();
    await page.goto(`${base}/#token=${token}`);
    await waitRows(page, 4);
    // The newest event is Jane's: open it, filter by its actor.
    await page.locator('#events-body tr.event-row').first().click();
    await page.getByRole('button', { name: 'Filter by actor Jane Doe' }).click();
    await waitRows(page, 2);
    expect(await actors(page)).toEqual(['Jane Doe', 'Jane Doe']);
    expect(new URL(page.url()).searchParams.get('actor')).toBe('u-jane');
    await page.getByRole('button', { name: 'Remove filter Actor: Jane Doe' }).click();
    await waitRows(page, 4);

    await page.locator('#events-body tr.event-row').last().click();
    await page.getByRole('button', { name: 'Filter by IP 198.51.100.9' }).click();
    await waitRows(page, 1);
    expect(await actors(page)).toEqual(['Ada Lovelace']);
    await page.getByRole('button', { name: 'Remove filter IP: 198.51.100.9' }).click();
    await waitRows(page, 4);

    await page.locator('#events-body tr.event-row').first().click();
    await page.getByRole('button', { name: 'Filter by group confluence-users' }).click();
    await waitRows(page, 2);
    expect(await page.getByLabel('Search').inputValue()).toBe('confluence-users');
    expect((await actors(page)).sort()).toEqual(['Bob Li', 'Jane Doe']);
    await page.context().close();
  });
});
