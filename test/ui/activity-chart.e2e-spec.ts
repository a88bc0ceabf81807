import { INestApplication } from '@nestjs/common';
import { Browser, Page } from 'playwright-core';
import { AuditService } from '@auditkit/nestjs';
import { startUiApp, UiApp } from './support/ui-app';
import { seriousViolations } from './support/axe';

// The activity chart above the log (#13): a bar per day (or hour) for the applied filters,
// stacked by category; choosing a bar, by mouse or keyboard, narrows the log and the chart to
// that day of the viewer's time zone. Empty and failing ranges say so; axe finds nothing serious.

const SECRET = 'ui-chart-secret-ui-chart-secret-0123456789';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Midnight UTC, `n` days ago. */
const daysAgo = (n: number) => {
  const today = new Date();
  return Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()) - n * DAY;
};

/** The seeded events: [actor name, action, time]. In UTC, 3 on day -5, 5 on day -3, 3 on day -2. */
const SEED: [string, string, number][] = [
  ['d5-a', 'group_created', daysAgo(5) + 3 * HOUR],
  ['d5-b', 'group_created', daysAgo(5) + 3 * HOUR],
  ['d5-c', 'user_name_changed', daysAgo(5) + 4 * HOUR],
  ['d3-a', 'group_created', daysAgo(3) + 3 * HOUR],
  ['d3-b', 'group_created', daysAgo(3) + 3 * HOUR],
  ['d3-c', 'group_created', daysAgo(3) + 3 * HOUR],
  ['d3-d', 'group_created', daysAgo(3) + 3 * HOUR],
  // 23:30 UTC: still day -3 in UTC, but 08:30 of day -2 in Tokyo (+09:00).
  ['d3-late', 'user_name_changed', daysAgo(3) + 23.5 * HOUR],
  ['d2-a', 'group_created', daysAgo(2) + 2 * HOUR],
  ['d2-b', 'user_name_changed', daysAgo(2) + 3 * HOUR],
  ['d2-c', 'user_name_changed', daysAgo(2) + 3 * HOUR],
];

interface Bar {
  label: string;
  total: number;
  segments: Record<string, number>;
}

describe('the activity chart of the web UI', () => {
  let ui: UiApp;
  let app: INestApplication;
  let browser: Browser;
  let base: string;
  let token: string;

  beforeAll(async () => {
    ui = await startUiApp(SECRET);
    ({ app, base, browser } = ui);
    token = await ui.token({ acme: ['org-admin'], empty: ['org-admin'], recent: ['org-admin'] });
    const audit = app.get(AuditService);
    for (const [name, action, time] of SEED)
      await audit.record({
        orgId: 'acme',
        action,
        time: new Date(time),
        actor: { id: `u-${name}`, name },
        targets: action === 'group_created' ? [{ id: `g-${name}`, type: 'group', name }] : [],
      });
  });

  afterAll(async () => {
    await ui?.close();
  });

  async function open(timezoneId: string, org = 'acme'): Promise<Page> {
    const context = await browser.newContext({ bypassCSP: true, locale: 'en-US', timezoneId });
    const page = await context.newPage();
    await page.goto(`${base}/?org=${org}#token=${token}`);
    return page;
  }

  /** The bars that have activity, with their accessible label and their segments' categories. */
  const bars = (page: Page) =>
    page.locator('#activity-chart .chart-bar').evaluateAll((nodes) =>
      nodes
        .map((n) => ({
          label: n.getAttribute('aria-label') ?? '',
          total: Number(n.getAttribute('data-total')),
          segments: Object.fromEntries(
            Array.from(n.querySelectorAll('.chart-seg')).map((s) => [
              s.getAttribute('data-category'),
              Math.round(parseFloat((s as HTMLElement).style.height)),
            ]),
          ),
        }))
        .filter((b) => b.total > 0),
    );
  const actors = async (page: Page) =>
    (await page.locator('#events-body tr.event-row .actor-name').allInnerTexts()).sort();
  const waitRows = (page: Page, n: number) =>
    page.waitForFunction(
      (count) =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#events-body tr.event-row').length === count,
      n,
    );
  const waitBars = (page: Page) =>
    page.locator('#activity-chart .chart-bar[tabindex="0"]').waitFor({ state: 'attached' });
  const dayName = (ms: number) =>
    new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
      ms,
    );

  it('draws a bar per day with the right totals, stacked by category', async () => {
    const page = await open('UTC');
    await waitRows(page, SEED.length);
    await waitBars(page);
    const found: Bar[] = await bars(page);
    // Heights are a share of the busiest day (5): the segments of a bar add up to its total.
    expect(found).toEqual([
      {
        label: `${dayName(daysAgo(5))}: 3 events`,
        total: 3,
        segments: { groups: 40, user_accounts: 20 },
      },
      {
        label: `${dayName(daysAgo(3))}: 5 events`,
        total: 5,
        segments: { groups: 80, user_accounts: 20 },
      },
      {
        label: `${dayName(daysAgo(2))}: 3 events`,
        total: 3,
        segments: { groups: 20, user_accounts: 40 },
      },
    ]);
    // Every day of the default 30 is a bar, the empty ones too; the legend names the categories.
    expect(await page.locator('#activity-chart .chart-bar').count()).toBeGreaterThanOrEqual(30);
    const legend = await page.locator('#activity-chart .chart-legend li').allInnerTexts();
    expect(legend).toEqual(expect.arrayContaining(['Groups', 'User accounts']));
    // The chart names nothing "activity": the Activity select stays the only match of its label.
    expect(await page.getByLabel('Activity').count()).toBe(1);
    await page.context().close();
  });

  it('has a bar per hour up to 3 days, per day past them, and reloads with the filters', async () => {
    const audit = app.get(AuditService);
    for (const [action, ago] of [
      ['group_created', 2 * HOUR],
      ['user_name_changed', 2 * DAY],
    ] as const)
      await audit.record({
        orgId: 'recent',
        action,
        time: new Date(Date.now() - ago),
        actor: { id: 'u-r', name: 'recent' },
        targets: action === 'group_created' ? [{ id: 'g-r', type: 'group', name: 'r' }] : [],
      });
    const page = await open('UTC', 'recent');
    await waitRows(page, 2);
    await waitBars(page);
    const count = () => page.locator('#activity-chart .chart-bar').count();
    const summary = page.locator('#activity-chart .chart-summary');
    await page.getByLabel('Range').selectOption('24h');
    await page.getByRole('button', { name: 'Apply' }).click();
    await summary.filter({ hasText: '1 event' }).waitFor();
    expect(await summary.innerText()).toContain('a bar per hour');
    // 24 hours back from now: 24 hour buckets, or 25 when now is not on the hour.
    expect([24, 25]).toContain(await count());
    await page.getByLabel('Range').selectOption('7d');
    await page.getByRole('button', { name: 'Apply' }).click();
    await summary.filter({ hasText: '2 events' }).waitFor();
    expect(await summary.innerText()).toContain('a bar per day');
    expect([7, 8]).toContain(await count());
    await page.getByLabel('Activity').selectOption('user_name_changed');
    await page.getByRole('button', { name: 'Apply' }).click();
    await summary.filter({ hasText: '1 event' }).waitFor();
    await waitRows(page, 1);
    await page.context().close();
  });

  it('narrows the log and the chart to the day of a clicked bar', async () => {
    const page = await open('UTC');
    await waitRows(page, SEED.length);
    await waitBars(page);
    await page.getByRole('button', { name: `${dayName(daysAgo(3))}: 5 events` }).click();
    await waitRows(page, 5);
    expect(await actors(page)).toEqual(['d3-a', 'd3-b', 'd3-c', 'd3-d', 'd3-late']);
    // The chart now shows that day by the hour; the span is a chip and in the address bar.
    await page.waitForFunction(
      () =>
        document
          .querySelector('auditkit-log')!
          .shadowRoot!.querySelectorAll('#activity-chart .chart-bar').length === 24,
    );
    expect((await bars(page)).map((b) => b.total)).toEqual([4, 1]);
    const url = new URL(page.url()).searchParams;
    expect(url.get('from')).toBe(new Date(daysAgo(3)).toISOString());
    expect(url.get('to')).toBe(new Date(daysAgo(2) - 1).toISOString());
    const chip = page.locator('#active-filters .chip');
    expect(await chip.innerText()).toMatch(/^Time: \w+ \d+, \d{4}/);

    // A reload keeps the span; removing the chip brings back the whole log.
    await page.reload();
    await waitRows(page, 5);
    await chip.click();
    await waitRows(page, SEED.length);
    expect(new URL(page.url()).searchParams.get('from')).toBeNull();
    await page.context().close();
  });

  it('is used with the keyboard: one tab stop, arrows between bars, Enter chooses', async () => {
    // In Tokyo (+09:00) days start at 15:00 UTC: the 23:30 UTC event belongs to the next day.
    const page = await open('Asia/Tokyo');
    await waitRows(page, SEED.length);
    await waitBars(page);
    expect((await bars(page)).map((b) => b.total)).toEqual([3, 4, 4]);
    const newest = page.locator('#activity-chart .chart-bar[tabindex="0"]');
    await newest.focus();
    // From today back to day -2 (Tokyo's date of the 02:00 UTC events is the same as UTC's).
    const todayTokyo = Math.floor((Date.now() + 9 * HOUR) / DAY) * DAY;
    const steps = Math.round((todayTokyo - daysAgo(2)) / DAY);
    for (let i = 0; i < steps; i++) await page.keyboard.press('ArrowLeft');
    const focused = page.locator('#activity-chart .chart-bar:focus');
    expect(await focused.getAttribute('aria-label')).toBe(`${dayName(daysAgo(2))}: 4 events`);
    await page.keyboard.press('Enter');
    await waitRows(page, 4);
    expect(await actors(page)).toEqual(['d2-a', 'd2-b', 'd2-c', 'd3-late']);
    expect(new URL(page.url()).searchParams.get('from')).toBe(
      new Date(daysAgo(2) - 9 * HOUR).toISOString(),
    );
    await page.context().close();
  });

  it('says when a range is empty, and when the chart cannot load while the table still works', async () => {
    const empty = await open('UTC', 'empty');
    await empty.locator('#events-empty').waitFor();
    await empty.getByText('No activity in this range').waitFor();
    expect(await empty.locator('#activity-chart .chart-bar:visible').count()).toBe(0);
    await empty.context().close();

    const context = await browser.newContext({ bypassCSP: true, locale: 'en-US' });
    const failing = await context.newPage();
    await failing.route('**/events-histogram?**', (route) =>
      route.fulfill({
        status: 503,
        contentType: 'application/json',
        body: JSON.stringify({ errors: [{ status: '503', title: 'Service unavailable' }] }),
      }),
    );
    await failing.goto(`${base}/?org=acme#token=${token}`);
    await failing.getByText('Could not load the chart: Service unavailable').waitFor();
    await waitRows(failing, SEED.length);
    expect(await failing.locator('#log-error').innerText()).toBe('');
    await context.close();
  });

  it('has no serious or critical axe violation with the chart', async () => {
    const page = await open('UTC');
    await waitRows(page, SEED.length);
    await waitBars(page);
    expect(await seriousViolations(page)).toEqual([]);
    await page.context().close();
  });
});
