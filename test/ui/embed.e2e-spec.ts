import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { AuditService } from '@auditkit/nestjs';
import { ApiExceptionFilter, ViewerTokenService } from '@auditkit/nestjs/admin';
import { EmbedExampleModule } from '../../apps/embed-example/src/embed-example.module';
import { WEB_DIR } from '../../apps/embed-example/src/embed-pages.controller';
import { buildReactBundle } from '../../apps/embed-example/src/react-bundle';
import { seedEmbedDemo } from '../../apps/embed-example/src/seed';
import { createTestDatabase, TestDatabase } from '../support/databases';
import { seriousViolations } from './support/axe';

const SECRET = 'embed-example-secret-embed-example-secret-0123';
const ROWS = 'auditkit-log #events-body tr.event-row';

/** A page of another origin, serving `html` at `/`. */
async function otherOrigin(html: () => string): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(html());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const closeServer = (server: Server) => new Promise((resolve) => server.close(resolve));

/** The element's computed style of the node `selector` inside its shadow root. */
function style(page: Page, selector: string, property: string): Promise<string> {
  return page
    .locator(`auditkit-log ${selector}`)
    .first()
    .evaluate((el, p) => getComputedStyle(el).getPropertyValue(p), property);
}

describe('the viewer embedded in a host page (<auditkit-log> with a viewer token, Chromium)', () => {
  let db: TestDatabase;
  let app: INestApplication;
  let base: string;
  let browser: Browser;
  let outDir: string;
  let allowed: { server: Server; origin: string };
  let refused: { server: Server; origin: string };
  let crossToken = '';

  const crossPage = () => `<!doctype html><html lang="en"><head><title>Other origin</title>
    <script type="module" src="${base}/audit/auditkit-log.js"></script></head>
    <body><main><auditkit-log src="${base}/audit/" token="${crossToken}"></auditkit-log></main></body></html>`;

  beforeAll(async () => {
    db = await createTestDatabase('sqlite');
    outDir = mkdtempSync(join(tmpdir(), 'auditkit-embed-'));
    const reactBundle = await buildReactBundle(WEB_DIR, join(outDir, 'react-app.js'));
    allowed = await otherOrigin(crossPage);
    refused = await otherOrigin(crossPage);
    app = await NestFactory.create(
      EmbedExampleModule.forRoot({
        databaseUrl: db.url,
        secret: SECRET,
        org: 'acme',
        reactBundle,
        allowedOrigins: [allowed.origin],
      }),
      { logger: ['error'] },
    );
    app.useGlobalFilters(new ApiExceptionFilter());
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const audit = app.get(AuditService);
    await seedEmbedDemo(audit, 'acme');
    // Another org's activity, which no viewer token of acme may show.
    await audit.record({
      orgId: 'globex',
      action: 'group_created',
      actor: { id: 'u-hank', name: 'Hank Scorpio' },
      targets: [{ id: 'g-globex', type: 'group', name: 'globex-secret-group' }],
    });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (allowed) await closeServer(allowed.server);
    if (refused) await closeServer(refused.server);
    await db?.drop();
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  async function open(path: string, width = 1280) {
    const context = await browser.newContext({
      viewport: { width, height: 900 },
      bypassCSP: true,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(base + path);
    return { page, errors, close: () => context.close() };
  }

  it('plain HTML: shows the org log read-only, themed by the host page, with no admin page', async () => {
    const { page, errors, close } = await open('/');
    await page.locator(ROWS).first().waitFor();
    expect(await page.locator(ROWS).count()).toBeGreaterThan(10);
    const text = await page
      .locator('auditkit-log')
      .evaluate((el) => el.shadowRoot!.textContent ?? '');
    expect(text).toContain('Jane Doe');
    expect(text).not.toContain('globex-secret-group');
    // Read-only: no destinations, no API keys, no sign-out; export allowed by this token.
    expect(await page.locator('auditkit-log #destinations-open').count()).toBe(0);
    expect(await page.locator('auditkit-log #api-keys-open').count()).toBe(0);
    expect(await page.locator('auditkit-log #topbar').isVisible()).toBe(false);
    expect(await page.locator('auditkit-log #export-open').isVisible()).toBe(true);
    // The integrity badge of the whole org, for a token that is not narrowed.
    await page.locator('auditkit-log #integrity-badge:not(.is-loading)').waitFor();
    expect(await page.locator('auditkit-log #integrity-text').textContent()).toMatch(/seq 60/);
    // The host's custom properties reach through the shadow root.
    expect(await style(page, '#apply', 'background-color')).toBe('rgb(138, 59, 18)');
    expect(await style(page, '#apply', 'font-family')).toContain('Georgia');
    const light = await page.locator('auditkit-log').evaluate((el) => getComputedStyle(el).color);
    // The host's dark theme: the element's own colours change, the host's primary stays its own.
    await page.selectOption('#theme', 'dark');
    await page.waitForFunction(
      () => document.querySelector('auditkit-log')!.getAttribute('theme') === 'dark',
    );
    expect(
      await page.locator('auditkit-log').evaluate((el) => getComputedStyle(el).color),
    ).not.toBe(light);
    expect(
      await page.locator('auditkit-log').evaluate((el) => getComputedStyle(el).backgroundColor),
    ).toBe('rgb(29, 33, 37)');
    // The button eases between colours: wait for the end of its transition.
    await page.waitForFunction(
      () =>
        getComputedStyle(
          document.querySelector('auditkit-log')!.shadowRoot!.getElementById('apply')!,
        ).backgroundColor === 'rgb(242, 164, 107)',
    );
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it('shows the viewer again after the page took it away (a single-page app navigating back)', async () => {
    const { page, errors, close } = await open('/');
    await page.locator(ROWS).first().waitFor();
    const token = await mint({ actions: ['group_created'] });
    // The old element goes, a new one comes with another token: it must not say "only one".
    await page.evaluate((t) => {
      const slot = document.getElementById('viewer-slot')!;
      slot.replaceChildren();
      const el = document.createElement('auditkit-log');
      el.setAttribute('token', t);
      slot.append(el);
    }, token);
    await page.waitForFunction(() => {
      const rows = Array.from(
        document.querySelector('auditkit-log')!.shadowRoot!.querySelectorAll('tr.event-row'),
      );
      return rows.length > 0 && rows.every((r) => /group created/i.test(r.textContent!));
    });
    // The same element moved elsewhere on the page keeps working.
    await page.evaluate(() => document.body.append(document.querySelector('auditkit-log')!));
    await page.locator(ROWS).first().waitFor();
    expect(errors).toEqual([]);
    await close();
  });

  it('plain HTML at 390 px: the rows are cards and nothing scrolls sideways', async () => {
    const { page, errors, close } = await open('/', 390);
    await page.locator(ROWS).first().waitFor();
    expect(await style(page, 'tr.event-row', 'display')).toBe('grid');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(
      390,
    );
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  it('React: the same element in a React page, themed and switched to dark by React props', async () => {
    const { page, errors, close } = await open('/react/');
    await page.locator(ROWS).first().waitFor();
    expect(await page.locator(ROWS).count()).toBeGreaterThan(10);
    expect(await style(page, '#apply', 'background-color')).toBe('rgb(91, 63, 212)');
    await page.selectOption('select', 'dark');
    await page.waitForFunction(
      () => document.querySelector('auditkit-log')!.getAttribute('theme') === 'dark',
    );
    expect(
      await page.locator('auditkit-log').evaluate((el) => getComputedStyle(el).backgroundColor),
    ).toBe('rgb(29, 33, 37)');
    // Filtering works inside the embedded viewer as on the admin page.
    await page.fill('auditkit-log #f-q', 'Ada Lovelace');
    await page.click('auditkit-log #apply');
    await page.waitForFunction(() => {
      const rows = Array.from(
        document.querySelector('auditkit-log')!.shadowRoot!.querySelectorAll('tr.event-row'),
      );
      return rows.length > 0 && rows.every((r) => r.textContent!.includes('Ada Lovelace'));
    });
    expect(await seriousViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await close();
  });

  async function mint(narrowing: { actions?: string[] } = {}): Promise<string> {
    return (await app.get(ViewerTokenService).mint({ orgId: 'acme', ...narrowing })).token;
  }

  /** Opens the other origin's page, with a listener for the viewer's events from the start. */
  async function openCross(origin: string) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.addInitScript(() => {
      const w = window as unknown as { heard: string[] };
      w.heard = [];
      document.addEventListener('auditkit-unauthorized', (ev) =>
        w.heard.push((ev as CustomEvent<{ message: string }>).detail.message),
      );
    });
    await page.goto(origin);
    return { page, consoleErrors, close: () => context.close() };
  }

  it('another origin that the host allowed embeds the viewer (CORS), narrowed to one action', async () => {
    crossToken = await mint({ actions: ['group_created'] });
    const { page, close } = await openCross(allowed.origin);
    await page.locator(ROWS).first().waitFor();
    const rows = await page.locator(`${ROWS} .cell-action`).allTextContents();
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) expect(row.toLowerCase()).toContain('group created');
    // The activity filter offers only what the token may read.
    const offered = await page
      .locator('auditkit-log #f-action option')
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value).filter(Boolean));
    expect(offered).toEqual(['group_created']);
    // No export for a token minted without an e-mail to send the link to, and no integrity
    // badge for a narrowed token (the report counts events it does not show).
    expect(await page.locator('auditkit-log #export-open').count()).toBe(0);
    expect(await page.locator('auditkit-log #integrity-badge').count()).toBe(0);
    await close();
  });

  it('an origin the host did not allow cannot load the viewer at all', async () => {
    crossToken = await mint();
    const { page, consoleErrors, close } = await openCross(refused.origin);
    await page.waitForLoadState('load');
    expect(await page.evaluate(() => customElements.get('auditkit-log') === undefined)).toBe(true);
    expect(consoleErrors.join('\n')).toMatch(/CORS/);
    await close();
  });

  it('a refused token says so and tells the host page; a new token opens the log', async () => {
    const good = await mint();
    // A token whose signature does not check out: the server answers 401.
    crossToken = good.slice(0, -4) + (good.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const { page, close } = await openCross(allowed.origin);
    await page.locator('auditkit-log #viewer-problem').waitFor();
    expect(await page.locator('auditkit-log #viewer-problem').textContent()).toMatch(
      /expired or was refused/,
    );
    await page.waitForFunction(() => (window as unknown as { heard: string[] }).heard.length > 0);
    // The log, the chart and the badge were all refused: the host hears of it once.
    await page.waitForLoadState('networkidle');
    expect(
      await page.evaluate(() => (window as unknown as { heard: string[] }).heard),
    ).toHaveLength(1);
    expect(await page.locator(ROWS).count()).toBe(0);
    // The host mints another token and sets it: the log opens without a reload.
    await page.evaluate(
      (token) => document.querySelector('auditkit-log')!.setAttribute('token', token),
      good,
    );
    await page.locator(ROWS).first().waitFor();
    await close();
  });
});
