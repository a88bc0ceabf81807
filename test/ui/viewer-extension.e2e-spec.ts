import { INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import { AuditLogModule, AuditService } from '@auditkit/nestjs';
import { AuditAdminModule } from '@auditkit/nestjs/admin';
import { createTestDatabase } from '../support/databases';
import { startUiApp, UiApp } from './support/ui-app';
import { seriousViolations } from './support/axe';

// The viewer's extension points (#13): a host's link templates turn targets into links to its
// own pages (ids URL-encoded, only http(s) or root-relative), and its extra columns show after
// the base four, as labelled lines in the 390 px card layout. A page may override both.
// Screenshots go to /tmp/ui-shots (not committed).

const SECRET = 'ui-viewer-secret-ui-viewer-secret-0123456';
const SHOTS = '/tmp/ui-shots';
const HOSTILE_ID = '"><img src=x onerror=alert(1)>/../../logout?next=javascript:alert(1)#x';

describe('target links and extra columns in the web UI', () => {
  let ui: UiApp;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  let token: string;

  beforeAll(async () => {
    ui = await startUiApp(SECRET, {
      viewer: {
        targetLinks: {
          user: '/admin/users/{id}?org={org}',
          group: 'https://groups.example.com/{org}/{type}/{id}',
        },
        columns: ['targets', 'ip', 'outcome'],
      },
    });
    ({ app, base, browser } = ui);
    token = await ui.token({ acme: ['org-admin'] });
    const audit = app.get(AuditService);
    const now = Date.now();
    await audit.record({
      orgId: 'acme',
      action: 'user_added_to_group',
      time: new Date(now - 60_000),
      actor: { id: 'u-1', name: 'Jane Doe' },
      targets: [
        { id: 'u-42', type: 'user', name: 'Grace Hopper' },
        { id: 'g-7', type: 'group', name: 'admins' },
        { id: 's-1', type: 'space', name: 'Handbook' },
      ],
      location: { ip: '203.0.113.7' },
    });
    await audit.record({
      orgId: 'acme',
      action: 'user_removed',
      time: new Date(now),
      actor: { id: 'u-1', name: 'Jane Doe' },
      targets: [{ id: HOSTILE_ID, type: 'user', name: 'Mallory' }],
      location: { ip: '198.51.100.9' },
      outcome: 'failure',
    });
    mkdirSync(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    await ui?.close();
  });

  async function open(viewport = { width: 1280, height: 800 }): Promise<Page> {
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-US', viewport });
    const page = await context.newPage();
    await page.goto(`${base}/#token=${token}`);
    await page.waitForFunction(
      () =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#events-body tr.event-row').length === 2,
    );
    return page;
  }

  const headings = (page: Page) => page.locator('#events-table thead th').allInnerTexts();
  const hrefs = (page: Page, scope: string) =>
    page.locator(`${scope} a.target-link`).evaluateAll((links) =>
      links.map((a) => ({
        href: a.getAttribute('href'),
        rel: a.getAttribute('rel'),
        text: a.textContent,
      })),
    );
  const rows = (page: Page) => page.locator('#events-body tr.event-row');

  it('adds the extra columns after the base four, with their values', async () => {
    const page = await open();
    expect(await headings(page)).toEqual([
      'Date',
      'Actor',
      'Action',
      'Details',
      'Targets',
      'IP address',
      'Outcome',
    ]);
    const older = rows(page).nth(1);
    expect(await older.locator('td.cell-extra-ip').innerText()).toContain('203.0.113.7');
    expect(await older.locator('td.cell-extra-outcome').innerText()).toContain('Success');
    expect(await rows(page).first().locator('td.cell-extra-outcome').innerText()).toContain(
      'Failure',
    );
    // A type without a template stays text.
    expect(await older.locator('td.cell-extra-targets').innerText()).toContain('Handbook (space)');
    await page.screenshot({ path: join(SHOTS, 'viewer-columns-desktop.png'), fullPage: true });
    await page.context().close();
  });

  it('links targets to the host, encoding the id, in the row and in the detail', async () => {
    const page = await open();
    const hostile = `/admin/users/${encodeURIComponent(HOSTILE_ID)}?org=acme`;
    expect(await hrefs(page, '#events-body tr.event-row')).toEqual([
      { href: hostile, rel: 'noopener noreferrer', text: 'Mallory' },
      { href: '/admin/users/u-42?org=acme', rel: 'noopener noreferrer', text: 'Grace Hopper' },
      {
        href: 'https://groups.example.com/acme/group/g-7',
        rel: 'noopener noreferrer',
        text: 'admins',
      },
    ]);
    // The hostile id stays inside the path segment: no element, no other page of the host.
    const resolved = await page
      .locator('#events-body tr.event-row a.target-link')
      .first()
      .evaluate((a) => new URL((a as HTMLAnchorElement).href));
    expect(resolved).toMatchObject({
      origin: base,
      pathname: expect.stringMatching(/^\/admin\/users\/[^/]+$/),
    });
    expect(await page.locator('#events-body img').count()).toBe(0);

    await rows(page).nth(1).locator('.row-toggle').click();
    const detail = page.locator('#events-body tr.detail-row:not([hidden])');
    expect(await detail.locator('td').getAttribute('colspan')).toBe('7');
    expect(await hrefs(page, '#events-body tr.detail-row:not([hidden])')).toEqual([
      { href: '/admin/users/u-42?org=acme', rel: 'noopener noreferrer', text: 'Grace Hopper' },
      {
        href: 'https://groups.example.com/acme/group/g-7',
        rel: 'noopener noreferrer',
        text: 'admins',
      },
    ]);
    expect(await seriousViolations(page)).toEqual([]);
    // The click-to-filter button beside a linked target still filters.
    await page.getByRole('button', { name: 'Filter by user Grace Hopper' }).click();
    await page.waitForFunction(
      () =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#events-body tr.event-row').length === 1,
    );
    expect(await page.getByLabel('Search').inputValue()).toBe('Grace Hopper');
    await page.context().close();
  });

  it('shows the extra columns as labelled lines of a card at 390 px', async () => {
    const page = await open({ width: 390, height: 844 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    const row = rows(page).nth(1);
    for (const [key, label, value] of [
      ['targets', 'Targets', 'Grace Hopper'],
      ['ip', 'IP address', '203.0.113.7'],
      ['outcome', 'Outcome', 'Success'],
    ]) {
      const cell = row.locator(`td.cell-extra-${key}`);
      expect(await cell.locator('.cell-label').innerText()).toBe(label);
      expect(await cell.innerText()).toContain(value);
      const box = await cell.boundingBox();
      expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    }
    expect(await hrefs(page, '#events-body tr.event-row')).toHaveLength(3);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'viewer-columns-390.png'), fullPage: true });
    await page.context().close();
  });

  it('takes an override from the page, and re-checks every link it fills', async () => {
    const page = await open();
    // A string, so that ts-jest leaves the dynamic import to the browser: the same module
    // instance the UI loaded, as an embedding element would import it.
    const override = {
      columns: 'ip,bogus,category',
      targetLinks: { user: 'javascript:alert({id})', group: '/groups/{id}' },
    };
    await page.evaluate(
      `import(${JSON.stringify(`${base}/viewer-config.js`)}).then((m) => m.setViewerConfig(${JSON.stringify(override)}))`,
    );
    expect(await headings(page)).toEqual([
      'Date',
      'Actor',
      'Action',
      'Details',
      'IP address',
      'Category',
    ]);
    expect(await rows(page).nth(1).locator('td.cell-extra-category').innerText()).toContain(
      'Group',
    );
    // No targets column now: the detail shows the links; the javascript: one is text.
    await rows(page).nth(1).locator('.row-toggle').click();
    const detail = '#events-body tr.detail-row:not([hidden])';
    expect(await hrefs(page, detail)).toEqual([
      { href: '/groups/g-7', rel: 'noopener noreferrer', text: 'admins' },
    ]);
    expect(await page.locator(`${detail} .person-name`).allInnerTexts()).toContain('Grace Hopper');
    await page.context().close();
  });

  it('refuses a javascript: template at start, naming the option', async () => {
    const db = await createTestDatabase('sqlite');
    @Module({
      imports: [
        AuditLogModule.forRoot({ isGlobal: true, databaseUrl: db.url }),
        AuditAdminModule.forRoot({
          jwt: { secret: SECRET },
          viewer: { targetLinks: { user: 'javascript:alert({id})' } },
        }),
      ],
    })
    class BadModule {}
    try {
      await expect(
        NestFactory.create(BadModule, { logger: false, abortOnError: false }),
      ).rejects.toThrow(
        /AuditAdminModule: options.viewer.targetLinks.user must be an absolute http\(s\) URL or a path starting with "\/"/,
      );
    } finally {
      await db.drop();
    }
  });
});
